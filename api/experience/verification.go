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
	"github.com/authtrail/authtrail/domain/username"
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
	kind, key := h.users.Identifier(in.Identifier.Type, in.Identifier.Value)
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
	kind, key := h.users.Identifier(in.Identifier.Type, in.Identifier.Value)
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
