// Package codekeys keeps the per-send data keys that seal verification codes
// in their events. The delivery worker reads a key once, sends the code and
// erases the key; keys also expire with the bucket's age limit. Once a key
// is gone, the sealed code in the event log can never be opened again.
//
// Erasing is JetStream's secure delete: the key's message is overwritten
// with random bytes in the block file. A plain delete (or a KV purge) only
// marks the message removed, and the key stays readable on disk until its
// block is compacted or expires.
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

// Stream holds the data keys, one message per send on subject
// codekeys.<sendId>. It is a plain stream rather than a KV bucket because
// KV buckets deny the message deletes that erasing needs.
const Stream = "CODE_KEYS"

// SubjectPrefix starts every key's subject.
const SubjectPrefix = "codekeys"

// legacyBucketStream is the KV bucket that held keys before they were
// erasable; Open removes it, files and all.
const legacyBucketStream = "KV_code_keys"

// MaxAge outlives the longest code lifetime Logto allows (3600 s).
const MaxAge = 2 * time.Hour

// ErrNotFound: the key was deleted after delivery, or expired.
var ErrNotFound = errors.New("codekeys: key not found")

// Store reads and writes data keys.
type Store struct {
	js     jetstream.JetStream
	stream jetstream.Stream
}

// Open creates or updates the stream.
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Store, error) {
	if replicas < 1 {
		replicas = 1
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: Stream, Description: "per-send data keys of sealed verification codes",
		Subjects: []string{SubjectPrefix + ".>"}, MaxMsgsPerSubject: 1, MaxAge: MaxAge,
		Storage: jetstream.FileStorage, Replicas: replicas, AllowDirect: true,
		Discard: jetstream.DiscardOld, DenyPurge: true,
	})
	if err != nil {
		return nil, fmt.Errorf("codekeys: %w", err)
	}
	if err := js.DeleteStream(ctx, legacyBucketStream); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("codekeys: remove the old bucket: %w", err)
	}
	return &Store{js: js, stream: stream}, nil
}

func subject(sendID string) string { return SubjectPrefix + "." + sendID }

// Put stores the data key of a send; a send id is never reused.
func (s *Store) Put(ctx context.Context, sendID string, key []byte) error {
	if _, err := s.js.Publish(ctx, subject(sendID), key, jetstream.WithExpectLastSequencePerSubject(0)); err != nil {
		return fmt.Errorf("codekeys: put %s: %w", sendID, err)
	}
	return nil
}

// Get returns the data key of a send, or ErrNotFound.
func (s *Store) Get(ctx context.Context, sendID string) ([]byte, error) {
	msg, err := s.stream.GetLastMsgForSubject(ctx, subject(sendID))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("codekeys: get %s: %w", sendID, err)
	}
	return msg.Data, nil
}

// Delete erases a send's key: its one message is overwritten with random
// bytes on disk (JetStream's secure delete). Deleting a key that is
// already gone succeeds, so a redelivered send can always erase again.
func (s *Store) Delete(ctx context.Context, sendID string) error {
	msg, err := s.stream.GetLastMsgForSubject(ctx, subject(sendID))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("codekeys: delete %s: %w", sendID, err)
	}
	if err := s.stream.SecureDeleteMsg(ctx, msg.Sequence); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("codekeys: erase %s: %w", sendID, err)
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
