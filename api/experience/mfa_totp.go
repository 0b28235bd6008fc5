package experience

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/secretbox"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/totp"
	"github.com/authtrail/authtrail/domain/user"
)

// totpAAD binds a sealed TOTP secret to its user.
func totpAAD(userID string) string { return "totp:" + userID }

func (h *Handler) sealTotp(userID, secret string) (user.Sealed, error) {
	sealed, err := h.secrets.Seal([]byte(secret), totpAAD(userID), h.random)
	return user.Sealed{KeyID: sealed.KeyID, Box: sealed.Box}, err
}

func (h *Handler) openTotp(userID string, sealed *user.Sealed) (string, bool) {
	if sealed == nil {
		return "", false
	}
	plain, err := h.secrets.Open(secretbox.Sealed{KeyID: sealed.KeyID, Box: sealed.Box}, totpAAD(userID))
	return string(plain), err == nil
}

// displayName is what authenticator apps show (spec §1.18).
func displayName(u *user.State) string {
	for _, v := range []string{u.Name, u.PrimaryEmail, u.PrimaryPhone, u.Username} {
		if v != "" {
			return v
		}
	}
	return "Unnamed User"
}

// totpSecret is the TOTP secret route's request: the id of the record it
// creates, the secret drawn for it and the issuer to show.
type totpSecret struct {
	verificationID, secret, issuer string
}

func (h *Handler) parseTotpSecret(r *http.Request) (totpSecret, error) {
	secret, err := totp.NewSecret(h.random)
	return totpSecret{verificationID: h.ids.NewID(), secret: secret, issuer: hostname(r)}, err
}

// createTotpSecret serves POST /verification/totp/secret (spec §1.18): the
// secret is in the response once and sealed in the event.
func (h *Handler) createTotpSecret(ctx context.Context, s *Step, in totpSecret) (Reply, error) {
	u, err := h.identifiedUser(ctx, s)
	if err != nil || u == nil {
		return Reply{}, orIdentifierNotFound(err)
	}
	sealed, err := h.sealTotp(u.ID, in.secret)
	if err != nil {
		return Reply{}, err
	}
	events, err := interaction.CreateTotpSecret(s.State, in.verificationID, sealed)
	if err != nil {
		return Reply{}, err
	}
	qr, err := totp.QRCodeDataURL(totp.URI(in.issuer, displayName(u), in.secret))
	if err != nil {
		return Reply{}, err
	}
	s.Append(events...)
	return Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.verificationID, "secret": in.secret, "secretQrCode": qr}}, nil
}

func orIdentifierNotFound(err error) error {
	if err != nil {
		return err
	}
	return domain.E("session.identifier_not_found")
}

// hostname is the request's host without the port: Logto's TOTP issuer.
func hostname(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.Host); err == nil {
		return host
	}
	return r.Host
}

type totpBody struct {
	Code           string  `json:"code"`
	VerificationID *string `json:"verificationId"`
}

// totpVerification is the TOTP verify route's request, with the id of the
// record a verification of the user's TOTP creates.
type totpVerification struct {
	totpBody
	newID string
}

func (h *Handler) parseTotpVerification(r *http.Request) (totpVerification, error) {
	in := totpVerification{newID: h.ids.NewID()}
	err := httpx.Decode(r, &in.totpBody)
	if err == nil && in.Code == "" {
		err = httpx.Invalid("body", `"code" is required`)
	}
	return in, err
}

// verifyTotp serves POST /verification/totp/verify (spec §1.19).
func (h *Handler) verifyTotp(ctx context.Context, s *Step, in totpVerification) (Reply, error) {
	now := h.clock.Now()
	if in.VerificationID != nil {
		sealed, _ := interaction.TotpSecretOf(s.State, *in.VerificationID)
		secret, opened := h.openTotp(s.State.UserID, sealed)
		_, matched := totp.Match(secret, in.Code, now)
		events, err := interaction.VerifyNewTotp(s.State, *in.VerificationID, opened && matched)
		if err != nil {
			return Reply{}, err
		}
		s.Append(events...)
		return Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": *in.VerificationID}}, nil
	}
	u, err := h.identifiedUser(ctx, s)
	if err != nil || u == nil {
		return Reply{}, orIdentifierNotFound(err)
	}
	factor, _ := u.Factor(user.FactorTotp)
	secret, opened := h.openTotp(u.ID, factor.Secret)
	step, matched := totp.Match(secret, in.Code, now)
	g, err := h.loadGuard(ctx, s, sentinel.PoolTotp, u.ID)
	if err != nil {
		return Reply{}, err
	}
	out := interaction.VerifyExistingTotp(s.State, u, in.newID, step, opened && matched, h.attempt(g, now))
	if err := s.settle(g, u.ID, out); err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.newID}}, nil
}

// attempt is the sentinel context of an MFA verification.
func (h *Handler) attempt(g guard, now time.Time) interaction.Attempt {
	return interaction.Attempt{Sentinel: g.state, Policy: h.sentinelPolicy(), Now: now}
}
