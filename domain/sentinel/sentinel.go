// Package sentinel is the brute-force lockout of docs/experience.md, Lockout: per
// identifier and pool, failed attempts are events, and too many of them in an
// hour lock the identifier for the lockout duration, even for a right
// password.
package sentinel

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/authtrail/authtrail/domain"
)

// AggregateType names sentinel aggregates: events.sentinel.<pool>-<sha256>.
const AggregateType = "sentinel"

// Pools. Password, verification code and one-time token attempts share one.
const (
	PoolIdentifier = "identifier"
	PoolTotp       = "totp"
	PoolWebAuthn   = "webauthn"
	PoolBackupCode = "backupcode"
)

// Window is how far back failed attempts count.
const Window = time.Hour

// ID is the aggregate id of a pool and a normalised target (identifier value
// or user id); hashed so no personal data reaches a subject.
func ID(pool, target string) string {
	sum := sha256.Sum256([]byte(pool + ":" + target))
	return pool + "-" + hex.EncodeToString(sum[:])
}

// AttemptFailed records one failed attempt. Blocked marks the failure that
// tripped the lock; such failures do not count towards the next lock.
type AttemptFailed struct {
	Action  string    `json:"action"`
	At      time.Time `json:"at"`
	Blocked bool      `json:"blocked,omitempty"`
}

// Locked blocks every attempt until Until. Identifier is what is locked,
// for the audit and the Identifier.Lockout webhook: the identifier typed
// (type username, email or phone) or, for an MFA pool, the user (type
// userId). The subject holds only a hash of it.
type Locked struct {
	Until      time.Time `json:"until"`
	Identifier *Target   `json:"identifier,omitempty"`
}

// Target names what a pool guards.
type Target struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Stamp names the target on the lock among events.
func Stamp(events []domain.Event, t Target) {
	for _, ev := range events {
		if l, ok := ev.(*Locked); ok && l.Identifier == nil {
			target := t
			l.Identifier = &target
		}
	}
}

func (AttemptFailed) EventType() string { return "sentinel.attempt.failed" }
func (Locked) EventType() string        { return "sentinel.locked" }

// Both are failure events (domain.Failure): they commit with a refusal.
func (AttemptFailed) RecordsFailure() {}
func (Locked) RecordsFailure()        {}

// Events decodes stored sentinel events.
var Events = domain.Registry{
	"sentinel.attempt.failed": func() domain.Event { return &AttemptFailed{} },
	"sentinel.locked":         func() domain.Event { return &Locked{} },
}

// Policy is the SIE sentinelPolicy.
type Policy struct {
	MaxAttempts     int
	LockoutDuration time.Duration
}

// State is the folded history of one target: the failures of the last
// Window only, so a target's cost does not grow with its age.
type State struct {
	failures    []time.Time // unblocked failures within Window of the newest, oldest first
	lockedUntil time.Time
}

// Fold rebuilds a target's state.
func Fold(events []domain.Event) State {
	var s State
	for _, ev := range events {
		s.Apply(ev)
	}
	return s
}

// Apply folds one event into s. It replaces the failures rather than
// appending in place, since a folded state may be shared by the loads that
// find it cached (eventstore.Fold), and drops those a Window older than
// the newest: Decide counts none of them at any later time.
func (s *State) Apply(ev domain.Event) {
	switch e := ev.(type) {
	case *AttemptFailed:
		if e.Blocked {
			return
		}
		kept := make([]time.Time, 0, len(s.failures)+1)
		for _, at := range s.failures {
			if e.At.Sub(at) < Window {
				kept = append(kept, at)
			}
		}
		s.failures = append(kept, e.At)
	case *Locked:
		if e.Until.After(s.lockedUntil) {
			s.lockedUntil = e.Until
		}
	}
}

// stateJSON is State as its snapshots store it.
type stateJSON struct {
	Failures    []time.Time `json:"failures,omitempty"`
	LockedUntil time.Time   `json:"lockedUntil"`
}

// MarshalJSON stores the state in a snapshot.
func (s State) MarshalJSON() ([]byte, error) {
	return json.Marshal(stateJSON{Failures: s.failures, LockedUntil: s.lockedUntil})
}

// UnmarshalJSON reads the state from a snapshot.
func (s *State) UnmarshalJSON(data []byte) error {
	var j stateJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	s.failures, s.lockedUntil = j.Failures, j.LockedUntil
	return nil
}

// LockedAt reports whether the target is locked at now.
func (s State) LockedAt(now time.Time) bool { return now.Before(s.lockedUntil) }

// LockedUntil is when the current lock ends.
func (s State) LockedUntil() time.Time { return s.lockedUntil }

// Decide records an attempt's outcome. It returns whether the attempt is
// blocked and the events to append. A locked target stays blocked whatever
// the outcome; otherwise a failure that brings the recent failures to
// MaxAttempts locks the target.
func Decide(s State, p Policy, action string, failed bool, now time.Time) (blocked bool, events []domain.Event) {
	if s.LockedAt(now) {
		return true, nil
	}
	if !failed {
		return false, nil
	}
	recent := 0
	for _, at := range s.failures {
		if now.Sub(at) < Window {
			recent++
		}
	}
	if recent+1 >= p.MaxAttempts {
		return true, []domain.Event{
			&AttemptFailed{Action: action, At: now, Blocked: true},
			&Locked{Until: now.Add(p.LockoutDuration)},
		}
	}
	return false, []domain.Event{&AttemptFailed{Action: action, At: now}}
}
