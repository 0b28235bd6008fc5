package eventstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// lookupTimeout bounds the read that settles an ambiguous publish; it runs
// even when the caller's context has expired, since that is often why the
// outcome is unknown.
const lookupTimeout = 5 * time.Second

// settle turns a failed publish into the store's errors. When the events may
// have been stored anyway (lost ack, timeout, a retry refused as a conflict
// or duplicate), the last one is looked up by id first.
func (s *Store) settle(ctx context.Context, envs []Envelope, err error) ([]Envelope, error) {
	subjects := subjectsOf(envs)
	if isAggregateFull(err) {
		return nil, fmt.Errorf("%w: %s: %w", ErrAggregateFull, subjects, err)
	}
	conflict := isWrongLastSequence(err)
	if !conflict && !isDuplicateInBatch(err) && !isAmbiguous(err) {
		return nil, fmt.Errorf("eventstore: append to %s: %w", subjects, err)
	}
	if stored, lookupErr := s.findStored(ctx, envs); lookupErr == nil {
		return stored, nil
	}
	if conflict {
		return nil, fmt.Errorf("%w: %s: %w", ErrConflict, subjects, err)
	}
	return nil, fmt.Errorf("eventstore: append to %s: %w", subjects, err)
}

var errNotStored = errors.New("eventstore: events not stored")

// findStored returns envs as stored if the last of them is the last message
// on its subject.
func (s *Store) findStored(ctx context.Context, envs []Envelope) ([]Envelope, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookupTimeout)
	defer cancel()
	want := envs[len(envs)-1]
	last, err := s.stream.GetLastMsgForSubject(ctx, want.Subject)
	if err != nil {
		return nil, err
	}
	if last.Header.Get(HeaderMsgID) != want.ID {
		return nil, errNotStored
	}
	return s.readBack(ctx, envs, last.Sequence)
}

// readBack reads the stored envelopes of envs, the last of which has
// sequence lastSeq; a batch's messages are consecutive.
func (s *Store) readBack(ctx context.Context, envs []Envelope, lastSeq uint64) ([]Envelope, error) {
	n := uint64(len(envs))
	if lastSeq < n {
		return nil, errNotStored
	}
	stored := make([]Envelope, 0, n)
	for i, want := range envs {
		msg, err := s.stream.GetMsg(ctx, lastSeq-n+1+uint64(i))
		if err != nil {
			return nil, fmt.Errorf("eventstore: read back %s: %w", want.Subject, err)
		}
		if msg.Header.Get(HeaderMsgID) != want.ID {
			return nil, errNotStored
		}
		env, err := envelopeFromMsg(msg)
		if err != nil {
			return nil, err
		}
		stored = append(stored, env)
	}
	return stored, nil
}

// subjectsOf names the subjects of envs for error messages.
func subjectsOf(envs []Envelope) string {
	var subjects []string
	for _, env := range envs {
		if !slices.Contains(subjects, env.Subject) {
			subjects = append(subjects, env.Subject)
		}
	}
	return strings.Join(subjects, ", ")
}
