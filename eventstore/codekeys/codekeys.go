// Package codekeys keeps the per-send data keys that seal verification codes
// in their events. The delivery worker reads a key once, sends the code and
// deletes the key; keys also expire with the bucket's age limit. Once a key
// is gone, the sealed code in the event log can never be opened again.
package codekeys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/authtrail/authtrail/domain/code"
	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is the key-value bucket holding the data keys.
const Bucket = "code_keys"

// MaxAge outlives the longest code lifetime Logto allows (3600 s).
const MaxAge = 2 * time.Hour

// ErrNotFound: the key was deleted after delivery, or expired.
var ErrNotFound = errors.New("codekeys: key not found")

// Store reads and writes data keys.
type Store struct{ kv jetstream.KeyValue }

// Open creates or updates the bucket.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Store, error) {
	if replicas < 1 {
		replicas = 1
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: Bucket, Description: "per-send data keys of sealed verification codes",
		History: 1, TTL: MaxAge, Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("codekeys: %w", err)
	}
	return &Store{kv: kv}, nil
}

// Put stores the data key of a send; a send id is never reused.
func (s *Store) Put(ctx context.Context, sendID string, key []byte) error {
	if _, err := s.kv.Create(ctx, sendID, key); err != nil {
		return fmt.Errorf("codekeys: put %s: %w", sendID, err)
	}
	return nil
}

// Get returns the data key of a send, or ErrNotFound.
func (s *Store) Get(ctx context.Context, sendID string) ([]byte, error) {
	entry, err := s.kv.Get(ctx, sendID)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("codekeys: get %s: %w", sendID, err)
	}
	return entry.Value(), nil
}

// Delete removes a send's key for good (purge, so no revision keeps it).
func (s *Store) Delete(ctx context.Context, sendID string) error {
	if err := s.kv.Purge(ctx, sendID); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("codekeys: delete %s: %w", sendID, err)
	}
	return nil
}

// Pending is a verification code drawn for one request and sealed for its
// delivery. The attempts of the request's command share one, so a command
// decided again after a conflict neither draws a second code nor stores a
// second key.
type Pending struct {
	SendID string
	Plain  string
	Sealed string // under the send's data key, once Seal stored it
	stored bool
}

// Draw returns the request's pending code, drawing the code and its send
// id the first time.
func Draw(p **Pending, random io.Reader, sendID func() string) (*Pending, error) {
	if *p != nil {
		return *p, nil
	}
	plain, err := code.Generate(random)
	if err != nil {
		return nil, err
	}
	*p = &Pending{SendID: sendID(), Plain: plain}
	return *p, nil
}

// Seal seals the pending code under a fresh data key and keeps the key
// until the delivery worker has sent the code; it does so once.
func (s *Store) Seal(ctx context.Context, p *Pending, random io.Reader) error {
	if p.stored {
		return nil
	}
	dataKey, err := code.NewDataKey(random)
	if err != nil {
		return err
	}
	if p.Sealed, err = code.Seal(dataKey, p.SendID, p.Plain, random); err != nil {
		return err
	}
	if err := s.Put(ctx, p.SendID, dataKey); err != nil {
		return err
	}
	p.stored = true
	return nil
}
