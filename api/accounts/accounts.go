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

	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/domain/username"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/nats-io/nats.go/jetstream"
)

// Users is the user repository.
type Users struct {
	store     *eventstore.Store
	ids       jetstream.KeyValue // IDsBucket
	usernames username.Policy
}

// IDsBucket holds the last user id drawn, under lastIDKey: shared by every
// process on the same NATS, so none depends on its own memory for ids.
const (
	IDsBucket = "user_ids"
	lastIDKey = "last"
)

// maxDrawTries bounds one draw's compare-and-set loop; each lost race is
// another process's draw, so it ends quickly.
const maxDrawTries = 32

// Open opens the repository. usernames is the username policy, whose case
// rule decides which names are the same user.
func Open(ctx context.Context, store *eventstore.Store, usernames username.Policy) (*Users, error) {
	ids, err := store.JetStream().CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: IDsBucket, Description: "the last user id drawn", History: 1,
		Storage: jetstream.FileStorage, Replicas: store.Replicas(),
	})
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return &Users{store: store, ids: ids, usernames: usernames.WithDefaults()}, nil
}

// drawID allocates the next user id by compare-and-set on the shared
// counter. The first draw on a log from before the counter seeds it with
// the highest user id in the log (a scan done once per log, not per start).
// An id drawn by a request that then fails is not reused: ids may have gaps.
func (u *Users) drawID(ctx context.Context) (string, error) {
	for range maxDrawTries {
		entry, err := u.ids.Get(ctx, lastIDKey)
		var last, rev uint64
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			if last, err = u.highestInLog(ctx); err != nil {
				return "", err
			}
		case err != nil:
			return "", fmt.Errorf("accounts: draw a user id: %w", err)
		default:
			rev = entry.Revision()
			if last, err = strconv.ParseUint(string(entry.Value()), 10, 64); err != nil {
				return "", fmt.Errorf("accounts: the user id counter holds %q", entry.Value())
			}
		}
		next := strconv.FormatUint(last+1, 10)
		if rev == 0 {
			_, err = u.ids.Create(ctx, lastIDKey, []byte(next))
		} else {
			_, err = u.ids.Update(ctx, lastIDKey, []byte(next), rev)
		}
		switch {
		case err == nil:
			return next, nil
		case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
			continue // another draw won: try the next id
		default:
			return "", fmt.Errorf("accounts: draw a user id: %w", err)
		}
	}
	return "", errors.New("accounts: draw a user id: too many concurrent draws")
}

// highestInLog is the highest user id in the log, 0 when there is none.
func (u *Users) highestInLog(ctx context.Context) (uint64, error) {
	stream, err := u.store.JetStream().Stream(ctx, u.store.Stream())
	if err != nil {
		return 0, fmt.Errorf("accounts: %w", err)
	}
	prefix := "events." + user.AggregateType + "."
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(prefix+"*"))
	if err != nil {
		return 0, fmt.Errorf("accounts: scan user ids: %w", err)
	}
	var highest uint64
	for subject := range info.State.Subjects {
		if n, err := strconv.ParseUint(strings.TrimPrefix(subject, prefix), 10, 64); err == nil && n > highest {
			highest = n
		}
	}
	return highest, nil
}

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
// so a command decided again does not draw again, and drawn anew when
// another process registered a user under it meanwhile.
type NewUser struct {
	users *Users
	id    string
}

// NewUser returns the id allocation of one request.
func (u *Users) NewUser() *NewUser { return &NewUser{users: u} }

// Check forgets an id drawn in an earlier attempt that another process has
// since taken; call it in each attempt before Draw.
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

// Draw returns the id function a registration decision calls (only when it
// creates the user) and the error of that call, to check before using the
// decision: the pure decision cannot return the counter's I/O error.
func (n *NewUser) Draw(ctx context.Context) (id func() string, failed func() error) {
	var err error
	id = func() string {
		if n.id == "" {
			n.id, err = n.users.drawID(ctx)
		}
		return n.id
	}
	return id, func() error { return err }
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
	s, version, err := eventstore.LoadState(ctx, tx, UserFold, Subject(userID))
	if err != nil || version == 0 {
		return nil, err
	}
	return &s, nil
}

// UserFold folds users for eventstore.LoadState, from their snapshots.
// Bump Shape when user.State or its fold changes.
var UserFold = eventstore.Fold[user.State]{AggregateType: user.AggregateType, Shape: 3, Events: user.Events, Apply: (*user.State).Apply,
	SnapshotFirst: true}

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
