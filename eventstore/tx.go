package eventstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/authtrail/authtrail/domain"
)

// maxAttempts bounds how often Run decides again after a conflict.
const maxAttempts = 5

// Tx is one attempt of a load-decide-append command. It records what the
// command read, so its appends expect exactly that state. A Tx belongs to
// one goroutine.
type Tx struct {
	store    *Store
	seen     map[string]position
	order    []string // subjects in first-append order
	pending  map[string][]Pending
	err      error // first invalid append; fails the commit
	appended []Envelope
}

// position is what a Tx saw of a subject: the sequence of its last event
// and how many events it had.
type position struct {
	seq, version uint64
}

// Run executes fn, a command that loads aggregates through tx, decides, and
// appends through tx, then commits the appended events in one atomic
// Append. Events are committed when fn returns nil or a business error
// (*domain.Error, so failed attempts are recorded); any other error commits
// nothing. On a conflict fn runs again on fresh state, up to 5 attempts in
// all; Run then returns ErrConflict. Otherwise Run returns fn's error, or the
// commit's.
func (s *Store) Run(ctx context.Context, meta Metadata, fn func(tx *Tx) error) error {
	for attempt := 1; ; attempt++ {
		tx := &Tx{store: s, seen: map[string]position{}, pending: map[string][]Pending{}}
		fnErr := fn(tx)
		if _, business := domain.AsError(fnErr); fnErr != nil && !business {
			return fnErr
		}
		err := tx.commit(ctx, meta)
		if err == nil {
			return fnErr
		}
		if !errors.Is(err, ErrConflict) || attempt == maxAttempts {
			return err
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// backoff sleeps attempt to attempt+1 milliseconds, so concurrent commands
// on one aggregate spread out instead of colliding again.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(attempt)*time.Millisecond + rand.N(time.Millisecond)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Load returns the events of subject and remembers its position for the
// commit.
func (tx *Tx) Load(ctx context.Context, subject string) ([]Envelope, error) {
	envs, last, err := tx.store.Load(ctx, subject)
	if err != nil {
		return nil, err
	}
	tx.remember(subject, position{seq: last, version: uint64(len(envs))})
	return envs, nil
}

// Last returns the last event of subject, or ErrNotFound, and remembers its
// position for the commit (empty when not found).
func (tx *Tx) Last(ctx context.Context, subject string) (*Envelope, error) {
	env, err := tx.store.Last(ctx, subject)
	switch {
	case err == nil:
		tx.remember(subject, position{seq: env.Seq, version: env.AggVersion})
	case errors.Is(err, ErrNotFound):
		tx.remember(subject, position{})
	}
	return env, err
}

// remember keeps the first position seen: the decision was made on it, so a
// newer one seen later must not let a stale decision through.
func (tx *Tx) remember(subject string, pos position) {
	if _, ok := tx.seen[subject]; !ok {
		tx.seen[subject] = pos
	}
}

// Append queues events for subject with random ids. The commit expects the
// subject as Load or Last saw it; a subject never read must be empty.
func (tx *Tx) Append(subject string, events ...domain.Event) {
	for _, ev := range events {
		tx.add(subject, Pending{Event: ev})
	}
}

// AppendWithID queues an event with a deterministic id, so a retried
// trigger (a worker redelivery, say) cannot record it twice.
func (tx *Tx) AppendWithID(subject, id string, ev domain.Event) {
	tx.add(subject, Pending{ID: id, Event: ev})
}

func (tx *Tx) add(subject string, p Pending) {
	if tx.err != nil {
		return
	}
	if _, _, err := ParseSubject(subject); err != nil {
		tx.err = err
		return
	}
	if _, ok := tx.pending[subject]; !ok {
		tx.order = append(tx.order, subject)
	}
	tx.pending[subject] = append(tx.pending[subject], p)
}

// Appended returns the events the commit stored.
func (tx *Tx) Appended() []Envelope { return tx.appended }

func (tx *Tx) commit(ctx context.Context, meta Metadata) error {
	if tx.err != nil {
		return fmt.Errorf("eventstore: tx: %w", tx.err)
	}
	if len(tx.order) == 0 {
		return nil
	}
	writes := make([]Write, 0, len(tx.order))
	for _, subject := range tx.order {
		pos := tx.seen[subject]
		writes = append(writes, Write{
			Subject: subject, ExpectedSeq: pos.seq, Version: pos.version, Events: tx.pending[subject],
		})
	}
	appended, err := tx.store.Append(ctx, meta, writes...)
	if err != nil {
		return err
	}
	tx.appended = appended
	return nil
}
