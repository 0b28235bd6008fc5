package experience

import (
	"context"
	"net/http"
	"regexp"
	"slices"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/domain/username"
	"github.com/authtrail/authtrail/eventstore"
)

type identifierBody struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type passwordBody struct {
	Identifier *identifierBody `json:"identifier"`
	Password   string          `json:"password"`
}

var (
	emailPattern = regexp.MustCompile(`^\S+@\S+\.\S+$`)
	phonePattern = regexp.MustCompile(`^\d+$`)

	signInIdentifiers = []string{settings.IdentifierUsername, settings.IdentifierEmail, settings.IdentifierPhone}
)

// decodePasswordBody guards a password verification body; a new identity
// takes a username only, which must match usernameRegEx.
func decodePasswordBody(r *http.Request, newIdentity bool) (passwordBody, error) {
	var body passwordBody
	if err := httpx.Decode(r, &body); err != nil {
		return body, err
	}
	if body.Identifier == nil {
		return body, httpx.Invalid("body", `"identifier" is required`)
	}
	id := body.Identifier
	switch {
	case newIdentity && id.Type != settings.IdentifierUsername,
		!newIdentity && !slices.Contains(signInIdentifiers, id.Type):
		return body, httpx.Invalid("body", `"identifier.type" is not allowed`)
	case newIdentity && !username.Pattern.MatchString(id.Value),
		id.Value == "",
		id.Type == settings.IdentifierEmail && !emailPattern.MatchString(id.Value),
		id.Type == settings.IdentifierPhone && !phonePattern.MatchString(id.Value):
		return body, httpx.Invalid("body", `"identifier.value" is invalid`)
	case body.Password == "":
		return body, httpx.Invalid("body", `"password" is required`)
	}
	return body, nil
}

// lookupKey is the kind and normalised value an identifier is claimed under.
func (h *Handler) lookupKey(id identifierBody) (string, string) {
	switch id.Type {
	case settings.IdentifierEmail:
		return user.KindEmail, h.claimKey(user.KindEmail, id.Value)
	case settings.IdentifierPhone:
		return user.KindPhone, h.claimKey(user.KindPhone, id.Value)
	}
	return user.KindUsername, h.claimKey(user.KindUsername, id.Value)
}

// claimKey normalises a unique identifier value of a kind: usernames per
// the case policy, emails case-insensitive, phones in canonical E.164 digits.
func (h *Handler) claimKey(kind, value string) string {
	switch kind {
	case user.KindEmail:
		return user.NormalizeEmail(value)
	case user.KindPhone:
		return user.CanonicalPhone(value)
	}
	return h.sie().UsernamePolicy.WithDefaults().Normalize(value)
}

// owners reports, per kind, whether another user than self owns the value.
func (h *Handler) owners(ctx context.Context, tx *eventstore.Tx, values map[string]string, self string) (map[string]bool, error) {
	taken := map[string]bool{}
	for kind, v := range values {
		owner, err := accounts.Owner(ctx, tx, kind, h.claimKey(kind, v))
		if err != nil {
			return nil, err
		}
		taken[kind] = owner != "" && owner != self
	}
	return taken, nil
}

// claim appends the claims of identifier values by userID.
func (h *Handler) claim(tx *eventstore.Tx, values map[string]string, userID string) {
	for kind, v := range values {
		accounts.Claim(tx, kind, h.claimKey(kind, v), userID)
	}
}

// passwordVerification is a password route's request, with the id of the
// record it creates and the request's password memo.
type passwordVerification struct {
	passwordBody
	verificationID string
	pws            *passwords
}

func (h *Handler) parsePasswordVerification(newIdentity bool) func(r *http.Request) (passwordVerification, error) {
	return func(r *http.Request) (passwordVerification, error) {
		body, err := decodePasswordBody(r, newIdentity)
		return passwordVerification{passwordBody: body, verificationID: h.ids.NewID(), pws: h.passwords(r.Context())}, err
	}
}

// verifyPassword serves POST /verification/password (spec §1.10).
func (h *Handler) verifyPassword(ctx context.Context, s *Step, in passwordVerification) (Reply, error) {
	kind, key := h.lookupKey(*in.Identifier)
	guard, err := h.loadSentinel(ctx, s, kind, key)
	if err != nil {
		return Reply{}, err
	}
	u, err := accounts.Lookup(ctx, s.Tx, kind, key)
	if err != nil {
		return Reply{}, err
	}
	matched := false
	switch {
	case guard.state.LockedAt(h.clock.Now()):
		// Locked whatever the password: skip the hash, the answer is the same.
	case u != nil && u.HasPassword():
		matched = in.pws.Matches(in.Password, u.PasswordDigest)
	default:
		in.pws.decoy(in.Password)
	}
	sie := h.sie()
	out := interaction.VerifyPassword(interaction.PasswordAttempt{
		VerificationID: in.verificationID,
		Identifier:     interaction.Identifier{Type: in.Identifier.Type, Value: in.Identifier.Value},
		User:           u, Matched: matched, Sentinel: guard.state,
		Policy:     h.sentinelPolicy(),
		Expiration: sie.PasswordExpiration, Now: h.clock.Now(),
	})
	if err := s.settle(guard, "", out); err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.verificationID}}, nil
}

// verifyNewPasswordIdentity serves POST /verification/new-password-identity (spec §1.11).
func (h *Handler) verifyNewPasswordIdentity(ctx context.Context, s *Step, in passwordVerification) (Reply, error) {
	kind, key := h.lookupKey(*in.Identifier)
	owner, err := accounts.Owner(ctx, s.Tx, kind, key)
	if err != nil {
		return Reply{}, err
	}
	events, err := interaction.VerifyNewPasswordIdentity(in.verificationID, in.Identifier.Value, in.Password, owner != "", in.pws)
	if err != nil {
		return Reply{}, err
	}
	s.Append(events...)
	return Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.verificationID}}, nil
}
