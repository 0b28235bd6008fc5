// Package newidentity is the new-password-identity method of the
// Experience API: POST /verification/new-password-identity checks that a
// username is free and a password acceptable, and leaves a
// NewPasswordIdentity record from which a Register identification creates
// the user.
package newidentity

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/domain/username"
)

// Method is the new-password-identity method.
type Method struct{ h *experience.Handler }

var _ experience.Method = (*Method)(nil)

// New returns the method; it hashes through the Experience API's hasher.
func New() *Method { return &Method{} }

// Events decodes the method's events.
func (m *Method) Events() domain.Registry { return Events }

// Mount adds POST /verification/new-password-identity.
func (m *Method) Mount(h *experience.Handler, r *mux.Router) {
	m.h = h
	experience.Route(r, h, http.MethodPost, "/verification/new-password-identity", m.parse, m.verify)
}

type body struct {
	Identifier *interaction.Identifier `json:"identifier"`
	Password   string                  `json:"password"`
}

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
	switch id := in.Identifier; {
	case id == nil:
		return in, httpx.Invalid("body", `"identifier" is required`)
	case id.Type != settings.IdentifierUsername:
		return in, httpx.Invalid("body", `"identifier.type" is not allowed`)
	case !username.Pattern.MatchString(id.Value):
		return in, httpx.Invalid("body", `"identifier.value" is invalid`)
	case in.Password == "":
		return in, httpx.Invalid("body", `"password" is required`)
	}
	return in, nil
}

// verify serves POST /verification/new-password-identity.
func (m *Method) verify(ctx context.Context, s *experience.Step, in verification) (experience.Reply, error) {
	owner, err := accounts.Owner(ctx, s.Tx, user.KindUsername, m.h.Users().Key(user.KindUsername, in.Identifier.Value))
	if err != nil {
		return experience.Reply{}, err
	}
	events, err := Verify(in.verificationID, in.Identifier.Value, in.Password, owner != "", in.pws)
	if err != nil {
		return experience.Reply{}, err
	}
	s.Append(events...)
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.verificationID}}, nil
}

// Verify decides a username + password record for registration: the
// username must be free and the password must pass the
// policy, with the username as user info; the password is hashed last.
func Verify(verificationID, name, pw string, taken bool, pws interaction.Passwords) ([]domain.Event, error) {
	if taken {
		return nil, domain.E("user.username_already_in_use")
	}
	if issues := pws.Issues(pw, interaction.PasswordUserInfo(nil, &interaction.Profile{Username: &name})); len(issues) > 0 {
		return nil, domain.E("password.rejected").WithData(issues)
	}
	digest, err := pws.Digest(pw)
	if err != nil {
		return nil, err
	}
	return []domain.Event{&Verified{VerificationID: verificationID, Username: name, PasswordDigest: digest}}, nil
}
