// Package sentinel is the brute-force lockout of docs/experience.md, Lockout: per
// identifier and pool, failed attempts are events, and too many of them in an
// hour lock the identifier for the lockout duration, even for a right
// password.
package sentinel

import (
	"crypto/sha256"
	"encoding/hex"
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

// State is the folded history of one target.
type State struct {
	failures    []time.Time // unblocked failures, oldest first
	lockedUntil time.Time
}

// Fold rebuilds a target's state.
func Fold(events []domain.Event) State {
	var s State
	for _, ev := range events {
		switch e := ev.(type) {
		case *AttemptFailed:
			if !e.Blocked {
				s.failures = append(s.failures, e.At)
			}
		case *Locked:
			if e.Until.After(s.lockedUntil) {
				s.lockedUntil = e.Until
			}
		}
	}
	return s
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
