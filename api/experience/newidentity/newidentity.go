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

func (m *Method) parse(r *http.Request) (experience.PasswordRequest, error) {
	return m.h.ParsePasswordRequest(r, []string{settings.IdentifierUsername}, func(id interaction.Identifier) bool {
		return username.Pattern.MatchString(id.Value)
	})
}

// verify serves POST /verification/new-password-identity.
func (m *Method) verify(ctx context.Context, s *experience.Step, in experience.PasswordRequest) (experience.Reply, error) {
	owner, err := accounts.Owner(ctx, s.Tx, user.KindUsername, m.h.Users().Key(user.KindUsername, in.Identifier.Value))
	if err != nil {
		return experience.Reply{}, err
	}
	events, err := Verify(in.VerificationID, in.Identifier.Value, in.Password, owner != "", in.Passwords)
	if err != nil {
		return experience.Reply{}, err
	}
	s.Append(events...)
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.VerificationID}}, nil
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
