// Package interactiontest holds the fixtures of the interaction's table
// tests, shared by the aggregate's tests and those of the authentication
// methods: states folded from literal events, a user, a fake password
// policy and hasher.
package interactiontest

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/domain/user"
)

// T0 is the tests' now.
var T0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// Given folds events into an interaction.
func Given(events ...domain.Event) interaction.State { return interaction.Fold(events) }

// Started starts an interaction of event, live for an hour after T0.
func Started(event string) domain.Event {
	return &interaction.Started{Event: event, ExpiresAt: T0.Add(time.Hour)}
}

// Alice is user 1, alice, whose password is "Secr3t!pass" (FakePasswords'
// digest of it).
func Alice() *user.State {
	s := user.Fold([]domain.Event{&user.Registered{UserID: "1", Username: "alice", PasswordDigest: "digest:Secr3t!pass", CreatedAt: T0}})
	return &s
}

// Types lists the types of events.
func Types(events []domain.Event) []string {
	var out []string
	for _, ev := range events {
		out = append(out, ev.EventType())
	}
	return out
}

// FakePasswords treats "digest:<pw>" as the digest of pw, rejects "weak",
// and counts the hashes it made.
type FakePasswords struct{ Hashed int }

var _ interaction.Passwords = (*FakePasswords)(nil)

// Issues rejects "weak" as too short.
func (f *FakePasswords) Issues(pw string, _ password.UserInfo) []password.Issue {
	if pw == "weak" {
		return []password.Issue{{Code: "password_rejected.too_short"}}
	}
	return nil
}

// Matches compares with the fake digest.
func (f *FakePasswords) Matches(pw, digest string) bool { return digest == "digest:"+pw }

// Digest makes the fake digest.
func (f *FakePasswords) Digest(pw string) (string, error) {
	f.Hashed++
	return "digest:" + pw, nil
}
