// Package password is the password method of the Experience API: POST
// /verification/password proves an identifier's password and leaves a
// Password record that identifies the user at SignIn.
package password

import (
	"context"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/httpx"
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
	experience.Route(r, h, http.MethodPost, "/verification/password", m.parse, m.verify)
}

type body struct {
	Identifier *interaction.Identifier `json:"identifier"`
	Password   string                  `json:"password"`
}

var identifierTypes = []string{settings.IdentifierUsername, settings.IdentifierEmail, settings.IdentifierPhone}

// verification is the route's request, with the id of the record it
// creates and the request's password memo.
type verification struct {
	body
	verificationID string
	pws            *experience.Passwords
}

func (m *Method) parse(r *http.Request) (verification, error) {
	in := verification{verificationID: m.h.NewID(), pws: m.h.Passwords(r.Context())}
	if err := httpx.Decode(r, &in.body); err != nil {
		return in, err
	}
	id := in.Identifier
	switch {
	case id == nil:
		return in, httpx.Invalid("body", `"identifier" is required`)
	case !slices.Contains(identifierTypes, id.Type):
		return in, httpx.Invalid("body", `"identifier.type" is not allowed`)
	case id.Value == "" || !id.WellFormed():
		return in, httpx.Invalid("body", `"identifier.value" is invalid`)
	case in.Password == "":
		return in, httpx.Invalid("body", `"password" is required`)
	}
	return in, nil
}

// verify serves POST /verification/password.
func (m *Method) verify(ctx context.Context, s *experience.Step, in verification) (experience.Reply, error) {
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
		matched = in.pws.Matches(in.Password, u.PasswordDigest)
	default:
		in.pws.Decoy(in.Password)
	}
	out := Verify(Attempt{
		VerificationID: in.verificationID,
		Identifier:     *in.Identifier,
		User:           u, Matched: matched, Sentinel: guard.State,
		Policy:     h.SentinelPolicy(),
		Expiration: h.Settings().PasswordExpiration, Now: now,
	})
	if err := s.Settle(guard, "", out); err != nil {
		return experience.Reply{}, err
	}
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.verificationID}}, nil
}
