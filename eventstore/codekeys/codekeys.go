// Package codekeys keeps the per-send data keys that seal verification codes
// in their events. The delivery worker reads a key once, sends the code and
// deletes the key; keys also expire with the bucket's age limit. Once a key
// is gone, the sealed code in the event log can never be opened again.
package codekeys

import (
	"context"
	"errors"
	"fmt"
	"time"

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
