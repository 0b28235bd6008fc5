package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// Reads trusted from the cache, checked at the commit.
//
// A command's first attempt reads cached aggregates without asking the
// server whether they are current: under write load every such question
// waits for an fsync in the server's file store, and most commands write
// what they read. A subject the command appends to needs no question at
// all: its append expects the sequence the command read, so a stale read
// fails the append as a conflict. Before anything commits, Tx.commit asks
// the server about the other subjects read from the cache (a sentinel, a
// claim), and a changed one fails the attempt the same way. After a real
// conflict every attempt reads through to the server, so a cache that
// lags (another process appended, or an append this process could not
// confirm) is corrected, not trusted again.

// errReadChanged is the conflict of an attempt that decided on a cached
// read of a subject that has changed since.
var errReadChanged = fmt.Errorf("%w: a subject read from the cache has changed", ErrConflict)

// rememberRead is remember for a read; trusted says it came from the cache
// unchecked.
func (tx *Tx) rememberRead(subject string, pos position, trusted bool) {
	if _, ok := tx.seen[subject]; !ok && trusted {
		if tx.unverified == nil {
			tx.unverified = map[string]bool{}
		}
		tx.unverified[subject] = true
	}
	tx.remember(subject, pos)
}

// written is the set of subjects the commit appends to: with refused, the
// refusal's; otherwise the success's.
func (tx *Tx) written(refused bool) map[string]bool {
	subjects := map[string]bool{}
	for _, q := range tx.queued {
		switch {
		case q.on == onBoth, refused && q.on == onRefusal, !refused && (q.on == onSuccess || q.on == onClaim):
			subjects[q.subject] = true
		}
	}
	return subjects
}

// checkReads asks the server whether the subjects read from the cache and
// not in written are as they were read; errReadChanged if one is not.
func (tx *Tx) checkReads(ctx context.Context, written map[string]bool) error {
	var subjects []string
	for subject := range tx.unverified {
		if !written[subject] {
			subjects = append(subjects, subject)
		}
	}
	sort.Strings(subjects)
	for _, subject := range subjects {
		current, err := tx.store.current(ctx, subject, tx.seen[subject])
		if err != nil {
			return err
		}
		if !current {
			return fmt.Errorf("%w: %s", errReadChanged, subject)
		}
	}
	return nil
}

// current reports whether subject still ends at pos.
func (s *Store) current(ctx context.Context, subject string, pos position) (bool, error) {
	if s.unchanged(ctx, subject, pos.seq, pos.version) {
		return true, nil
	}
	msg, err := s.lastMsg(ctx, subject)
	if errors.Is(err, ErrNotFound) {
		return pos.seq == 0, nil
	}
	if err != nil {
		return false, err
	}
	return msg.Sequence == pos.seq, nil
}
