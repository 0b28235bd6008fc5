// Package password is the password method of the Experience API: POST
// /verification/password proves an identifier's password and leaves a
// Password record that identifies the user at SignIn.
package password

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
)

// Method is the password method.
type Method struct{ h *experience.Handler }

var _ experience.Method = (*Method)(nil)

// New returns the method; it hashes through the Experience API's hasher.
func New() *Method { return &Method{} }

// Events decodes the method's events.
func (m *Method) Events() domain.Registry { return Events }

// Mount adds POST /verification/password.
func (m *Method) Mount(h *experience.Handler, r *mux.Router) {
	m.h = h
	experience.VerifyRoute(r, h, http.MethodPost, "/verification/password", m.parse, m.verify)
}

var identifierTypes = []string{settings.IdentifierUsername, settings.IdentifierEmail, settings.IdentifierPhone}

func (m *Method) parse(r *http.Request) (experience.PasswordRequest, error) {
	return m.h.ParsePasswordRequest(r, identifierTypes, func(id interaction.Identifier) bool {
		return id.Value != "" && id.WellFormed()
	})
}

// verify serves POST /verification/password.
func (m *Method) verify(ctx context.Context, s *experience.Step, in experience.PasswordRequest) (experience.Reply, error) {
	h := m.h
	kind, key := h.Users().Identifier(in.Identifier.Type, in.Identifier.Value)
	guard, err := h.IdentifierGuard(ctx, s, kind, key)
	if err != nil {
		return experience.Reply{}, err
	}
	u, err := accounts.Lookup(ctx, s.Tx, kind, key)
	if err != nil {
		return experience.Reply{}, err
	}
	now := h.Clock().Now()
	matched := false
	switch {
	case guard.State.LockedAt(now):
		// Locked whatever the password: skip the hash, the answer is the same.
	case u != nil && u.HasPassword():
		matched = in.Passwords.Matches(in.Password, u.PasswordDigest)
	default:
		in.Passwords.Decoy(in.Password)
	}
	out := Verify(Attempt{
		VerificationID: in.VerificationID,
		Identifier:     in.Identifier,
		User:           u, Matched: matched, Sentinel: guard.State,
		Policy:     h.SentinelPolicy(),
		Expiration: h.Settings().PasswordExpiration, Now: now,
	})
	if err := s.Settle(guard, "", out); err != nil {
		return experience.Reply{}, err
	}
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.VerificationID}}, nil
}
