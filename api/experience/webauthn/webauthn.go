// Package webauthn is the WebAuthn method of the Experience API:
// registration ceremonies that bind a credential, and authentication
// ceremonies that prove the user's WebAuthn factor (sign counters recorded,
// a counter that goes backwards recorded as a risk event).
package webauthn

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/passkey"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/user"
)

// Method is the WebAuthn method.
type Method struct {
	rp   *passkey.RP
	rpID string
	h    *experience.Handler
}

var _ experience.UseAdopter = (*Method)(nil)

// New returns the method for the relying party rp, whose id is rpID.
func New(rp *passkey.RP, rpID string) *Method { return &Method{rp: rp, rpID: rpID} }

// Events decodes the method's events.
func (m *Method) Events() domain.Registry { return Events }

// Mount adds the ceremony routes.
func (m *Method) Mount(h *experience.Handler, r *mux.Router) {
	m.h = h
	experience.Route(r, h, http.MethodPost, "/verification/web-authn/registration", m.newID, m.start(CeremonyRegistration))
	experience.Route(r, h, http.MethodPost, "/verification/web-authn/registration/verify", m.parseVerify, m.verifyRegistration)
	experience.Route(r, h, http.MethodPost, "/verification/web-authn/authentication", m.newID, m.start(CeremonyAuthentication))
	experience.VerifyRoute(r, h, http.MethodPost, "/verification/web-authn/authentication/verify", m.parseVerify, m.verifyAuthentication)
}

// Factors: the method binds the WebAuthn factor.
func (m *Method) Factors() []string { return []string{user.FactorWebAuthn} }

// AdoptUse is the record of an assertion, which is recorded on the user
// alone.
func (m *Method) AdoptUse(use user.Use, _ string) interaction.RecordEvent { return Adopted(use) }

// Bind stages a registered credential for binding.
func (m *Method) Bind(_ context.Context, s *experience.Step, _ *user.State, _ string, verificationID string) ([]domain.Event, error) {
	return Bind(s.State, m.h.Settings(), verificationID)
}

// newID is the parse of the option routes: the id of the record they create.
func (m *Method) newID(*http.Request) (string, error) { return m.h.NewID(), nil }

// passkeyUser names the user to the authenticator (docs/experience.md, WebAuthn).
func passkeyUser(u *user.State) passkey.User {
	name := "Unnamed User"
	for _, v := range []string{u.PrimaryEmail, u.PrimaryPhone, u.Username} {
		if v != "" {
			name = v
			break
		}
	}
	return passkey.User{ID: u.ID, Name: name, DisplayName: experience.DisplayName(u)}
}

// credentials are the user's WebAuthn factors in the library's terms.
func credentials(u *user.State) []passkey.Credential {
	var out []passkey.Credential
	for _, f := range u.WebAuthnFactors() {
		id, err := base64.RawURLEncoding.DecodeString(f.CredentialID)
		if err != nil {
			continue
		}
		out = append(out, passkey.Credential{ID: id, PublicKey: f.PublicKey, SignCount: f.SignCount, Transports: f.Transports, AAGUID: f.AAGUID})
	}
	return out
}

// start serves the registration and authentication option routes.
func (m *Method) start(ceremony string) experience.Decide[string] {
	optionsKey := "registrationOptions"
	if ceremony == CeremonyAuthentication {
		optionsKey = "authenticationOptions"
	}
	return func(ctx context.Context, s *experience.Step, verificationID string) (experience.Reply, error) {
		u, err := m.h.RequireUser(ctx, s)
		if err != nil {
			return experience.Reply{}, err
		}
		var options json.RawMessage
		var session passkey.Session
		now := m.h.Clock().Now()
		switch {
		case ceremony == CeremonyRegistration:
			options, session, err = m.rp.BeginRegistration(passkeyUser(u), credentials(u), now)
		case len(credentials(u)) > 0:
			options, session, err = m.rp.BeginAuthentication(passkeyUser(u), credentials(u), now)
		}
		if err != nil {
			return experience.Reply{}, err
		}
		stored, err := json.Marshal(session)
		if err != nil {
			return experience.Reply{}, err
		}
		events, err := Start(s.State, u, verificationID, ceremony, stored)
		if err != nil {
			return experience.Reply{}, err
		}
		s.Append(events...)
		return experience.Reply{Status: http.StatusOK, Body: map[string]any{"verificationId": verificationID, optionsKey: options}}, nil
	}
}

type verifyBody struct {
	VerificationID string          `json:"verificationId"`
	Payload        json.RawMessage `json:"payload"`
	agent          string          // the browser's User-Agent, kept with a registered credential
	useID          string          // this request's claim on the user (FinishAuthentication)
}

func (m *Method) parseVerify(r *http.Request) (verifyBody, error) {
	body := verifyBody{agent: r.UserAgent(), useID: m.h.NewID()}
	if err := httpx.Decode(r, &body); err != nil {
		return body, err
	}
	if body.VerificationID == "" || len(body.Payload) == 0 || body.Payload[0] != '{' {
		return body, httpx.Invalid("body", `"verificationId" and "payload" are required`)
	}
	return body, nil
}

// verifyRegistration serves POST /web-authn/registration/verify.
func (m *Method) verifyRegistration(_ context.Context, s *experience.Step, body verifyBody) (experience.Reply, error) {
	events, err := FinishRegistration(s.State, body.VerificationID, func(stored json.RawMessage) (user.Factor, error) {
		var session passkey.Session
		if err := json.Unmarshal(stored, &session); err != nil {
			return user.Factor{}, err
		}
		cred, err := m.rp.FinishRegistration(session, body.Payload, m.h.Clock().Now())
		if err != nil {
			return user.Factor{}, err
		}
		return user.Factor{Type: user.FactorWebAuthn, CredentialID: passkey.CredentialIDString(cred.ID),
			PublicKey: cred.PublicKey, SignCount: cred.SignCount, Transports: cred.Transports, AAGUID: cred.AAGUID,
			RPID: m.rpID, Agent: body.agent}, nil
	})
	if err != nil {
		return experience.Reply{}, err
	}
	s.Append(events...)
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": body.VerificationID}}, nil
}

// verifyAuthentication serves POST /web-authn/authentication/verify.
func (m *Method) verifyAuthentication(ctx context.Context, s *experience.Step, body verifyBody) (experience.Reply, error) {
	u, err := m.h.RequireUser(ctx, s)
	if err != nil {
		return experience.Reply{}, err
	}
	g, err := m.h.UserGuard(ctx, s, sentinel.PoolWebAuthn, u.ID)
	if err != nil {
		return experience.Reply{}, err
	}
	now := m.h.Clock().Now()
	out := FinishAuthentication(s.State, u, s.In(), body.VerificationID, body.useID, func(stored json.RawMessage) (Assertion, error) {
		var session passkey.Session
		if err := json.Unmarshal(stored, &session); err != nil {
			return Assertion{}, err
		}
		res, err := m.rp.FinishAuthentication(session, passkeyUser(u), credentials(u), body.Payload, now)
		return Assertion{CredentialID: passkey.CredentialIDString(res.CredentialID), SignCount: res.SignCount,
			CloneWarning: res.CloneWarning}, err
	}, m.h.Attempt(g, now))
	if err := s.Settle(g, u.ID, out); err != nil {
		return experience.Reply{}, err
	}
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": body.VerificationID}}, nil
}
