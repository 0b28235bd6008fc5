package experience

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/emailpolicy"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

// What the Handler offers the methods' steps. A method gets its own
// collaborators (a hasher, a keyring, the WebAuthn relying party) when it is
// built, and these through the Handler it is mounted on.

// Settings is the sign-in experience.
func (h *Handler) Settings() *settings.SignInExperience { return &h.cfg.Settings }

// Clock is the server's clock.
func (h *Handler) Clock() domain.Clock { return h.clock }

// NewID draws a standard id (a verification record's, say).
func (h *Handler) NewID() string { return h.ids.NewID() }

// Random feeds codes, secrets and keys.
func (h *Handler) Random() io.Reader { return h.random }

// Users is the user repository.
func (h *Handler) Users() *accounts.Users { return h.users }

// RequestMeta is the metadata of the events a request writes, for a step
// that writes again after its command committed (a wait that gives up).
func (h *Handler) RequestMeta(r *http.Request) eventstore.Metadata {
	return h.meta(r, h.interactionID(r))
}

// Log is the server's logger.
func (h *Handler) Log() *slog.Logger { return h.log }

// IdentifiedUser loads the interaction's user, or nil before identification.
func (h *Handler) IdentifiedUser(ctx context.Context, s *Step) (*user.State, error) {
	if !s.State.Identified() {
		return nil, nil
	}
	u, err := accounts.Load(ctx, s.Tx, s.State.UserID)
	if err != nil || u == nil {
		return u, err
	}
	s.State.Adopt(s.ID, u, func(use user.Use) (interaction.RecordEvent, bool) {
		a, ok := h.adopters[use.FactorType]
		if !ok {
			return nil, false
		}
		return a.AdoptUse(use, u.ID), true
	})
	return u, nil
}

// RequireUser loads the interaction's user, refusing a step before
// identification with session.identifier_not_found.
func (h *Handler) RequireUser(ctx context.Context, s *Step) (*user.State, error) {
	u, err := h.IdentifiedUser(ctx, s)
	if err == nil && u == nil {
		err = domain.E("session.identifier_not_found")
	}
	return u, err
}

// EmailViolation is the email blocklist's refusal of an address, or nil.
func (h *Handler) EmailViolation(email string) *domain.Error {
	p := h.Settings().EmailBlocklistPolicy
	return emailpolicy.Policy{
		BlockDisposableAddresses: p.BlockDisposableAddresses, BlockSubaddressing: p.BlockSubaddressing,
		CustomAllowlist: p.CustomAllowlist, CustomBlocklist: p.CustomBlocklist,
	}.Check(email)
}

// Guard is a sentinel aggregate loaded in a step: the lockout pool of a
// target.
type Guard struct {
	Subject string
	State   sentinel.State
	// Target is what the pool guards, named on its lock.
	Target sentinel.Target
}

// IdentifierGuard folds the pool an identifier's passwords, codes and
// tokens share. A known user's identifiers share one pool, the user's, so
// switching from email to username buys no more guesses; an identifier no
// user owns has a pool of its own. The lock names the identifier typed.
func (h *Handler) IdentifierGuard(ctx context.Context, s *Step, kind, key string) (Guard, error) {
	target := kind + ":" + key
	owner, err := accounts.Owner(ctx, s.Tx, kind, key)
	if err != nil {
		return Guard{}, err
	}
	if owner != "" {
		target = "user:" + owner
	}
	g, err := h.guard(ctx, s, sentinel.PoolIdentifier, target)
	g.Target = sentinel.Target{Type: kind, Value: key}
	return g, err
}

// UserGuard folds one of a user's MFA pools.
func (h *Handler) UserGuard(ctx context.Context, s *Step, pool, userID string) (Guard, error) {
	g, err := h.guard(ctx, s, pool, userID)
	g.Target = sentinel.Target{Type: "userId", Value: userID}
	return g, err
}

// guard loads a verification's sentinel, first refusing a client whose
// failed verifications used up its limit (so its guesses cost no hash).
func (h *Handler) guard(ctx context.Context, s *Step, pool, target string) (Guard, error) {
	g := Guard{Subject: eventstore.MustSubject(sentinel.AggregateType, sentinel.ID(pool, target))}
	if err := h.refuseFailingClient(ctx, s); err != nil {
		return g, err
	}
	var err error
	g.State, _, err = eventstore.LoadState(ctx, s.Tx, sentinelFold, g.Subject)
	return g, err
}

// sentinelFold folds sentinels for eventstore.LoadState, from their
// snapshots: a target attacked for years folds its last hour's failures.
var sentinelFold = eventstore.Fold[sentinel.State]{AggregateType: sentinel.AggregateType, Shape: 1,
	Events: sentinel.Events, Apply: (*sentinel.State).Apply}

// SentinelPolicy is the sign-in experience's lockout policy.
func (h *Handler) SentinelPolicy() sentinel.Policy {
	p := h.Settings().SentinelPolicy
	return sentinel.Policy{MaxAttempts: p.MaxAttempts, LockoutDuration: time.Duration(p.LockoutDuration) * time.Minute}
}

// Attempt is the sentinel context of a verification at now.
func (h *Handler) Attempt(g Guard, now time.Time) interaction.Attempt {
	return interaction.Attempt{Sentinel: g.State, Policy: h.SentinelPolicy(), Now: now}
}

// Settle appends a verification outcome: on success the user's events (a
// consumed TOTP step, backup code or authenticator counter), claimed ahead
// of the rest (eventstore.Tx.Claim: each a single-subject append, no atomic
// batch), and the interaction's; on a refusal the sentinel's and the interaction's failure
// events, which are all that commit with the refusal. It returns the
// outcome's error.
func (s *Step) Settle(g Guard, userID string, out interaction.Outcome) error {
	sentinel.Stamp(out.Sentinel, g.Target)
	if out.Err != nil {
		// What the sentinel counts (or refuses as locked) the client's
		// limit counts too; an expired password, say, is not a guess.
		s.failedVerification = len(out.Sentinel) > 0 || errors.Is(out.Err, domain.E("session.verification_blocked_too_many_attempts"))
		s.Tx.Failure(g.Subject, out.Sentinel...)
		s.Failure(out.Interaction...)
		return out.Err
	}
	s.Tx.Append(g.Subject, out.Sentinel...)
	if len(out.User) > 0 {
		s.Tx.Claim(accounts.Subject(userID), out.User...)
	}
	s.Append(out.Interaction...)
	return nil
}

// DisplayName is what authenticators show for the user (docs/experience.md, TOTP).
func DisplayName(u *user.State) string {
	for _, v := range []string{u.Name, u.PrimaryEmail, u.PrimaryPhone, u.Username} {
		if v != "" {
			return v
		}
	}
	return "Unnamed User"
}
