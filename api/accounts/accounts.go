// Package accounts reads and claims users in the event store: loading a
// user aggregate, looking a user up by a unique identifier, and allocating
// the positive integer user ids shared by the Experience and MFA APIs.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/domain/username"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/nats-io/nats.go/jetstream"
)

// Users is the user repository.
type Users struct {
	store     *eventstore.Store
	last      atomic.Uint64
	usernames username.Policy
}

// Open finds the highest user id in the log so that new ids continue from it.
// Another process may allocate the same id; the append then conflicts
// (a user subject must be empty) and the command retries with the next one.
// usernames is the username policy, whose case rule decides which names
// are the same user.
func Open(ctx context.Context, store *eventstore.Store, usernames username.Policy) (*Users, error) {
	u := &Users{store: store, usernames: usernames.WithDefaults()}
	stream, err := store.JetStream().Stream(ctx, store.Stream())
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	prefix := "events." + user.AggregateType + "."
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(prefix+"*"))
	if err != nil {
		return nil, fmt.Errorf("accounts: scan user ids: %w", err)
	}
	for subject := range info.State.Subjects {
		if n, err := strconv.ParseUint(strings.TrimPrefix(subject, prefix), 10, 64); err == nil && n > u.last.Load() {
			u.last.Store(n)
		}
	}
	return u, nil
}

// NextID allocates a user id.
func (u *Users) NextID() string { return strconv.FormatUint(u.last.Add(1), 10) }

// Key normalises an identifier value of a kind for uniqueness and look-up:
// usernames per the case policy, emails case-insensitive, phones as
// canonical E.164 digits; WebAuthn credential ids as they are.
func (u *Users) Key(kind, value string) string {
	switch kind {
	case user.KindEmail:
		return user.NormalizeEmail(value)
	case user.KindPhone:
		return user.CanonicalPhone(value)
	case user.KindUsername:
		return u.usernames.Normalize(value)
	}
	return value
}

// Identifier is the kind and key an identifier a user typed (username,
// email or phone) is claimed under.
func (u *Users) Identifier(typ, value string) (kind, key string) {
	switch typ {
	case user.KindEmail, user.KindPhone:
		kind = typ
	default:
		kind = user.KindUsername
	}
	return kind, u.Key(kind, value)
}

// Taken reports, per kind, whether a user other than self owns the value.
// The claim subjects are remembered by tx, so claiming them in the same tx
// fails on a concurrent claim.
func (u *Users) Taken(ctx context.Context, tx *eventstore.Tx, values map[string]string, self string) (map[string]bool, error) {
	taken := map[string]bool{}
	for kind, v := range values {
		owner, err := Owner(ctx, tx, kind, u.Key(kind, v))
		if err != nil {
			return nil, err
		}
		taken[kind] = owner != "" && owner != self
	}
	return taken, nil
}

// ClaimAll appends the claims of identifier values by userID to tx.
func (u *Users) ClaimAll(tx *eventstore.Tx, values map[string]string, userID string) {
	for kind, v := range values {
		Claim(tx, kind, u.Key(kind, v), userID)
	}
}

// Create appends a registration decided by user.Register: the user's first
// event and the claims of its identifiers, to commit together.
func (u *Users) Create(tx *eventstore.Tx, ev *user.Registered) {
	tx.Append(Subject(ev.UserID), ev)
	u.ClaimAll(tx, ev.Identifiers(), ev.UserID)
}

// NewUser is the id of the user a request may create. It is drawn when
// first asked for and kept across the attempts of the request's command,
// so a command decided again does not leave a gap in the ids, and drawn
// anew when another process registered a user under it meanwhile.
type NewUser struct {
	users *Users
	id    string
}

// NewUser returns the id allocation of one request.
func (u *Users) NewUser() *NewUser { return &NewUser{users: u} }

// Check forgets an id drawn in an earlier attempt that another process has
// since taken; call it in each attempt before ID.
func (n *NewUser) Check(ctx context.Context, tx *eventstore.Tx) error {
	if n.id == "" {
		return nil
	}
	existing, err := Load(ctx, tx, n.id)
	if existing != nil {
		n.id = ""
	}
	return err
}

// ID returns the id, drawing it on first use.
func (n *NewUser) ID() string {
	if n.id == "" {
		n.id = n.users.NextID()
	}
	return n.id
}

// Subject is a user's event subject.
func Subject(userID string) string { return eventstore.MustSubject(user.AggregateType, userID) }

// ClaimSubject is the subject that owns a normalised identifier value.
func ClaimSubject(kind, normalized string) string {
	return eventstore.MustSubject(user.ClaimAggregateType, user.ClaimID(kind, normalized))
}

// Load folds a user inside tx; nil when the id is unknown or not a user id.
func Load(ctx context.Context, tx *eventstore.Tx, userID string) (*user.State, error) {
	if _, err := strconv.ParseUint(userID, 10, 64); err != nil || userID == "0" {
		return nil, nil
	}
	envs, err := tx.Load(ctx, Subject(userID))
	if err != nil {
		return nil, err
	}
	if len(envs) == 0 {
		return nil, nil
	}
	events, err := eventstore.Decode(envs, user.Events)
	if err != nil {
		return nil, err
	}
	s := user.Fold(events)
	return &s, nil
}

// Owner returns the id of the user owning an identifier value, or "" when it
// is free. The claim subject is remembered by tx, so claiming it in the same
// tx fails on a concurrent claim.
func Owner(ctx context.Context, tx *eventstore.Tx, kind, normalized string) (string, error) {
	env, err := tx.Last(ctx, ClaimSubject(kind, normalized))
	if errors.Is(err, eventstore.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	ev, err := user.ClaimEvents.Decode(env.Type, env.Data)
	if err != nil {
		return "", err
	}
	if claimed, ok := ev.(*user.IdentifierClaimed); ok {
		return claimed.UserID, nil
	}
	return "", nil
}

// Claim appends the claim of an identifier value by userID to tx.
func Claim(tx *eventstore.Tx, kind, normalized, userID string) {
	tx.Append(ClaimSubject(kind, normalized), &user.IdentifierClaimed{Kind: kind, UserID: userID})
}

// Lookup finds the user owning an identifier value and loads it; nil when free.
func Lookup(ctx context.Context, tx *eventstore.Tx, kind, normalized string) (*user.State, error) {
	id, err := Owner(ctx, tx, kind, normalized)
	if err != nil || id == "" {
		return nil, err
	}
	return Load(ctx, tx, id)
}
