package eventstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/authtrail/authtrail/domain"
)

// maxAttempts bounds how often Run decides again after a conflict.
const maxAttempts = 5

// ErrFailureOnSuccess means a command recorded failure events and then
// succeeded: a refusal's trail must not be committed by a success.
var ErrFailureOnSuccess = errors.New("eventstore: a command that succeeded recorded failure events")

// Tx is one attempt of a load-decide-append command. It records what the
// command read, so its appends expect exactly that state, and it sorts what
// the command appends by outcome (see Run). A Tx belongs to one goroutine.
type Tx struct {
	store    *Store
	seen     map[string]position
	queued   []queued // in append order
	err      error    // first invalid append; fails the commit
	appended []Envelope
	// folded advances the states LoadState read once their subject's
	// events commit (see advanceFold), by subject.
	folded map[string][]func(expectedSeq uint64, stored []Envelope)
	// trust lets reads answer from the cache without asking the server;
	// unverified are the subjects read so, which the commit checks
	// (trust.go).
	trust      bool
	unverified map[string]bool
}

// queued is an appended event and the outcome it commits with.
type queued struct {
	subject string
	event   Pending
	on      commitOn
}

// commitOn says with which outcome of the command an event commits.
type commitOn uint8

const (
	onSuccess commitOn = iota // Append
	onRefusal                 // Failure
	onBoth                    // Keep
	onClaim                   // Claim: with success, committed ahead of the rest
)

// position is what a Tx saw of a subject: the sequence of its last event
// and how many events it had.
type position struct {
	seq, version uint64
}

// Run executes fn, a command that loads aggregates through tx, decides, and
// appends through tx, then commits in one atomic Append (or two, when fn
// claimed a credential's use: the claim, then the rest; see Claim). What commits
// depends on how fn ends (the commit rule, docs/architecture.md):
//
//   - nil: the events of Append and Keep;
//   - a business error (*domain.Error): the events of Failure and Keep, and
//     none of Append, so a step that refuses after appending its success
//     events cannot commit them;
//   - any other error: nothing.
//
// The first attempt's reads may answer from the cache unchecked; the commit
// checks what they read (trust.go). On a conflict, or a read that had
// changed, fn runs again on fresh state with a new Tx, up to 5
// attempts in all; Run then returns ErrConflict. Otherwise Run returns fn's
// error, or the commit's. fn must not read the request it serves: input is
// decoded once, before Run.
func (s *Store) Run(ctx context.Context, meta Metadata, fn func(tx *Tx) error) error {
	trust := true
	for attempt := 1; ; attempt++ {
		tx := &Tx{store: s, seen: map[string]position{}, trust: trust}
		fnErr := fn(tx)
		_, refused := domain.AsError(fnErr)
		forced := s.forceConflict(attempt)
		var err error
		if fnErr != nil && !refused {
			// Nothing commits. An error decided on a cached read that has
			// changed since is decided again.
			if err = tx.checkReads(ctx, nil); !errors.Is(err, errReadChanged) {
				return fnErr
			}
		} else if err = tx.commit(ctx, meta, refused, forced); err == nil {
			return fnErr
		}
		if !errors.Is(err, ErrConflict) || attempt == maxAttempts {
			return err
		}
		// A conflict the configuration forced says nothing of the cache; a
		// real one, or a changed read, does: from now on reads ask the
		// server.
		if !forced || errors.Is(err, errReadChanged) {
			trust = false
		}
		if errors.Is(err, errReadChanged) {
			continue // stale, not contended: no one to give way to
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

func (s *Store) forceConflict(attempt int) bool {
	return s.conflicts != nil && s.conflicts(attempt)
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
	envs, last, trusted, err := tx.store.load(ctx, subject, tx.trust)
	if err != nil {
		return nil, err
	}
	tx.rememberRead(subject, position{seq: last, version: uint64(len(envs))}, trusted)
	return envs, nil
}

// Last returns the last event of subject, or ErrNotFound, and remembers its
// position for the commit (empty when not found).
func (tx *Tx) Last(ctx context.Context, subject string) (*Envelope, error) {
	env, trusted, err := tx.store.last(ctx, subject, tx.trust)
	switch {
	case err == nil:
		tx.rememberRead(subject, position{seq: env.Seq, version: env.AggVersion}, trusted)
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

// Append queues success events for subject, with random ids: they commit
// only when the command succeeds. The commit expects the subject as Load or
// Last saw it; a subject never read must be empty.
func (tx *Tx) Append(subject string, events ...domain.Event) {
	for _, ev := range events {
		tx.add(subject, Pending{Event: ev}, onSuccess)
	}
}

// AppendWithID queues a success event with a deterministic id, so a
// retried trigger (a worker redelivery, say) cannot record it twice.
func (tx *Tx) AppendWithID(subject, id string, ev domain.Event) {
	tx.add(subject, Pending{ID: id, Event: ev}, onSuccess)
}

// ClaimWithID is Claim with a deterministic event id: a claim appended
// again by the same request (a retry that cannot tell it is stored) is
// found stored instead of appended twice.
func (tx *Tx) ClaimWithID(subject, id string, ev domain.Event) {
	if _, ok := ev.(domain.Claim); !ok {
		tx.invalid(fmt.Errorf("%T may not be queued as a claim", ev))
		return
	}
	tx.add(subject, Pending{ID: id, Event: ev}, onClaim)
}

// Claim queues success events that spend a one-time credential on the
// aggregate that serializes its uses (each a domain.Claim). They commit
// first, one append per claimed subject in the order first claimed, and
// the command's other success events follow in a last one: a single-subject append each is many times
// cheaper than an atomic batch over two subjects. A claim that conflicts
// commits nothing and the command is decided again. A claim that commits
// stays even when the rest does not: the credential is spent, never used
// twice (domain.Claim). The command decided again after that must find its
// own claim in the aggregate (by its use id) and not claim again.
func (tx *Tx) Claim(subject string, events ...domain.Event) {
	tx.addChecked(subject, events, onClaim, func(ev domain.Event) bool { _, ok := ev.(domain.Claim); return ok })
}

// Failure queues the audit trail of a refusal for subject: failed attempts,
// counters, lockouts, the refused request. These events commit only when
// the command ends with a business error, and each must be a
// domain.Failure; any other event fails the commit.
func (tx *Tx) Failure(subject string, events ...domain.Event) {
	tx.addChecked(subject, events, onRefusal, func(ev domain.Event) bool { _, ok := ev.(domain.Failure); return ok })
}

// Keep queues events that commit whatever the command's business outcome,
// because the API contract keeps them even when the request is refused.
// Each must be a domain.Kept.
func (tx *Tx) Keep(subject string, events ...domain.Event) {
	tx.addChecked(subject, events, onBoth, func(ev domain.Event) bool { _, ok := ev.(domain.Kept); return ok })
}

// addChecked queues events that must pass allowed; one that does not
// fails the commit.
func (tx *Tx) addChecked(subject string, events []domain.Event, on commitOn, allowed func(domain.Event) bool) {
	for _, ev := range events {
		if !allowed(ev) {
			tx.invalid(fmt.Errorf("%T may not be queued that way (a refusal's, a kept or a claim event)", ev))
			return
		}
		tx.add(subject, Pending{Event: ev}, on)
	}
}

// HasFailure reports whether the command queued a failure event for subject.
func (tx *Tx) HasFailure(subject string) bool {
	for _, q := range tx.queued {
		if q.on == onRefusal && q.subject == subject {
			return true
		}
	}
	return false
}

func (tx *Tx) add(subject string, p Pending, on commitOn) {
	if tx.err != nil {
		return
	}
	if _, _, err := ParseSubject(subject); err != nil {
		tx.invalid(err)
		return
	}
	tx.queued = append(tx.queued, queued{subject: subject, event: p, on: on})
}

func (tx *Tx) invalid(err error) {
	if tx.err == nil {
		tx.err = err
	}
}

// Appended returns the events the commit stored.
func (tx *Tx) Appended() []Envelope { return tx.appended }

// commit appends the events of the command's outcome: on success the
// claims first, then the rest. stale sends the last write with an
// expectation no subject can meet, so the server refuses it as a conflict
// (Config.ForceConflicts); after a claim, that is the rest, so forced
// conflicts exercise a command finding its own claim.
func (tx *Tx) commit(ctx context.Context, meta Metadata, refused, stale bool) error {
	if tx.err != nil {
		return fmt.Errorf("eventstore: tx: %w", tx.err)
	}
	outcome := onSuccess
	if refused {
		outcome = onRefusal
	} else if slices.ContainsFunc(tx.queued, func(q queued) bool { return q.on == onRefusal }) {
		return ErrFailureOnSuccess
	}
	if err := tx.checkReads(ctx, tx.written(refused)); err != nil {
		return err
	}
	if !refused {
		claims := tx.writes(onClaim, false)
		rest := tx.writes(outcome, true)
		// One append per claimed subject, in the order first claimed.
		for i, claim := range claims {
			if err := tx.append(ctx, meta, []Write{claim}, stale && len(rest) == 0 && i == len(claims)-1); err != nil {
				return err
			}
		}
		if len(claims) > 0 {
			// The rest expects a claimed subject as the claim left it.
			for _, env := range tx.appended {
				tx.seen[env.Subject] = position{seq: env.Seq, version: env.AggVersion}
			}
			rest = tx.writes(outcome, true)
		}
		return tx.append(ctx, meta, rest, stale)
	}
	return tx.append(ctx, meta, tx.writes(outcome, true), stale)
}

// append commits writes (when there are any) and adds what it stored to
// Appended.
func (tx *Tx) append(ctx context.Context, meta Metadata, writes []Write, stale bool) error {
	if len(writes) == 0 {
		return nil
	}
	if stale {
		writes[0].ExpectedSeq = math.MaxUint64
	}
	appended, fresh, err := tx.store.append(ctx, meta, writes)
	if err != nil {
		return err
	}
	tx.appended = append(tx.appended, appended...)
	if fresh {
		for _, w := range writes {
			for _, advance := range tx.folded[w.Subject] {
				advance(w.ExpectedSeq, subjectEnvelopes(appended, w.Subject))
			}
		}
	}
	return nil
}

// onFreshAppend calls advance with each fresh append's events of subject
// and the sequence that append expected.
func (tx *Tx) onFreshAppend(subject string, advance func(expectedSeq uint64, stored []Envelope)) {
	if tx.folded == nil {
		tx.folded = map[string][]func(uint64, []Envelope){}
	}
	tx.folded[subject] = append(tx.folded[subject], advance)
}

func subjectEnvelopes(envs []Envelope, subject string) []Envelope {
	var mine []Envelope
	for _, env := range envs {
		if env.Subject == subject {
			mine = append(mine, env)
		}
	}
	return mine
}

// writes groups the events that commit with outcome (and, with kept, the
// kept ones) into one write per subject, in append order.
func (tx *Tx) writes(outcome commitOn, kept bool) []Write {
	var writes []Write
	index := map[string]int{}
	for _, q := range tx.queued {
		if q.on != outcome && (!kept || q.on != onBoth) {
			continue
		}
		i, ok := index[q.subject]
		if !ok {
			pos := tx.seen[q.subject]
			i = len(writes)
			index[q.subject] = i
			writes = append(writes, Write{Subject: q.subject, ExpectedSeq: pos.seq, Version: pos.version})
		}
		writes[i].Events = append(writes[i].Events, q.event)
	}
	return writes
}
