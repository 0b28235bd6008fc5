// Package totp is the TOTP method of the Experience API: a new
// authenticator secret to bind (POST /verification/totp/secret, then
// /verify with its verificationId), and verifications of the user's TOTP
// factor (/verify without one), each code's time step used once.
package totp

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/secretbox"
	"github.com/authtrail/authtrail/domain/sentinel"
	otp "github.com/authtrail/authtrail/domain/totp"
	"github.com/authtrail/authtrail/domain/user"
)

// Method is the TOTP method.
type Method struct {
	secrets *secretbox.Keyring
	issuer  string
	h       *experience.Handler
}

var _ experience.UseAdopter = (*Method)(nil)

// New returns the method; secrets seals the TOTP secrets in the events.
// New returns the method; issuer is what authenticator apps show beside
// the account: the host of http.publicUrl (Logto shows its own host),
// never the request's Host header, which a client chooses.
func New(secrets *secretbox.Keyring, issuer string) *Method {
	return &Method{secrets: secrets, issuer: issuer}
}

// Events decodes the method's events.
func (m *Method) Events() domain.Registry { return Events }

// Mount adds the TOTP routes.
func (m *Method) Mount(h *experience.Handler, r *mux.Router) {
	m.h = h
	experience.Route(r, h, http.MethodPost, "/verification/totp/secret", m.parseSecret, m.createSecret)
	experience.VerifyRoute(r, h, http.MethodPost, "/verification/totp/verify", m.parseVerify, m.verify)
}

// AdoptUse is the record of a verification of the user's TOTP, which is
// recorded on the user alone.
func (m *Method) AdoptUse(use user.Use, userID string) interaction.RecordEvent {
	return Adopted(use, userID)
}

// Factors: the method binds the TOTP factor.
func (m *Method) Factors() []string { return []string{user.FactorTotp} }

// Bind stages a verified new secret for binding.
func (m *Method) Bind(_ context.Context, s *experience.Step, u *user.State, _ string, verificationID string) ([]domain.Event, error) {
	return Bind(s.State, m.h.Settings(), u, verificationID)
}

// secretRequest is the secret route's request: the id of the record it
// creates, the secret drawn for it and the issuer to show.
type secretRequest struct {
	verificationID, secret, issuer string
}

func (m *Method) parseSecret(*http.Request) (secretRequest, error) {
	secret, err := otp.NewSecret(m.h.Random())
	return secretRequest{verificationID: m.h.NewID(), secret: secret, issuer: m.issuer}, err
}

// createSecret serves POST /verification/totp/secret: the
// secret is in the response once and sealed in the event.
func (m *Method) createSecret(ctx context.Context, s *experience.Step, in secretRequest) (experience.Reply, error) {
	u, err := m.h.RequireUser(ctx, s)
	if err != nil {
		return experience.Reply{}, err
	}
	sealed, err := otp.Seal(m.secrets, u.ID, in.secret, m.h.Random())
	if err != nil {
		return experience.Reply{}, err
	}
	events, err := CreateSecret(s.State, in.verificationID, sealed)
	if err != nil {
		return experience.Reply{}, err
	}
	qr, err := otp.QRCodeDataURL(otp.URI(in.issuer, experience.DisplayName(u), in.secret))
	if err != nil {
		return experience.Reply{}, err
	}
	s.Append(events...)
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.verificationID, "secret": in.secret, "secretQrCode": qr}}, nil
}

type verifyBody struct {
	Code           string  `json:"code"`
	VerificationID *string `json:"verificationId"`
}

// verification is the verify route's request, with the id of the record a
// verification of the user's TOTP creates.
type verification struct {
	verifyBody
	newID string
}

func (m *Method) parseVerify(r *http.Request) (verification, error) {
	in := verification{newID: m.h.NewID()}
	err := httpx.Decode(r, &in.verifyBody)
	if err == nil && in.Code == "" {
		err = httpx.Invalid("body", `"code" is required`)
	}
	return in, err
}

// verify serves POST /verification/totp/verify.
func (m *Method) verify(ctx context.Context, s *experience.Step, in verification) (experience.Reply, error) {
	now := m.h.Clock().Now()
	if in.VerificationID != nil {
		sealed, _ := SecretOf(s.State, *in.VerificationID)
		secret, opened := otp.Open(m.secrets, s.State.UserID, sealed)
		_, matched := otp.Match(secret, in.Code, now)
		events, err := VerifyNew(s.State, *in.VerificationID, opened && matched)
		if err != nil {
			return experience.Reply{}, err
		}
		s.Append(events...)
		return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": *in.VerificationID}}, nil
	}
	u, err := m.h.RequireUser(ctx, s)
	if err != nil {
		return experience.Reply{}, err
	}
	factor, _ := u.Factor(user.FactorTotp)
	secret, opened := otp.Open(m.secrets, u.ID, factor.Secret)
	step, matched := otp.Match(secret, in.Code, now)
	g, err := m.h.UserGuard(ctx, s, sentinel.PoolTotp, u.ID)
	if err != nil {
		return experience.Reply{}, err
	}
	out := VerifyExisting(s.State, u, s.In(), in.newID, step, opened && matched, m.h.Attempt(g, now))
	if err := s.Settle(g, u.ID, out); err != nil {
		return experience.Reply{}, err
	}
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.newID}}, nil
}
