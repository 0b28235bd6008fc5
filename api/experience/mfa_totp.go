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

// createTotpSecret serves POST /verification/totp/secret (spec §1.18): the
// secret is in the response once and sealed in the event.
func (h *Handler) createTotpSecret(w http.ResponseWriter, r *http.Request) {
	verificationID := h.ids.NewID()
	secret, secretErr := totp.NewSecret(h.random)
	h.serve(w, r, "verification.totp.secret", func(ctx context.Context, s *step) (reply, error) {
		if secretErr != nil {
			return reply{}, secretErr
		}
		u, err := h.identifiedUser(ctx, s)
		if err != nil || u == nil {
			return reply{}, orIdentifierNotFound(err)
		}
		sealed, err := h.sealTotp(u.ID, secret)
		if err != nil {
			return reply{}, err
		}
		events, err := interaction.CreateTotpSecret(s.State, verificationID, sealed)
		if err != nil {
			return reply{}, err
		}
		qr, err := totp.QRCodeDataURL(totp.URI(hostname(r), displayName(u), secret))
		if err != nil {
			return reply{}, err
		}
		s.append(events...)
		return reply{http.StatusOK, map[string]string{"verificationId": verificationID, "secret": secret, "secretQrCode": qr}}, nil
	})
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

// verifyTotp serves POST /verification/totp/verify (spec §1.19).
func (h *Handler) verifyTotp(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Code           string  `json:"code"`
		VerificationID *string `json:"verificationId"`
	}
	bodyErr := httpx.Decode(r, &body)
	if bodyErr == nil && body.Code == "" {
		bodyErr = httpx.Invalid("body", `"code" is required`)
	}
	newID := h.ids.NewID()
	h.serve(w, r, "verification.totp.verify", func(ctx context.Context, s *step) (reply, error) {
		if bodyErr != nil {
			return reply{}, bodyErr
		}
		now := h.clock.Now()
		if body.VerificationID != nil {
			sealed, _ := interaction.TotpSecretOf(s.State, *body.VerificationID)
			secret, opened := h.openTotp(s.State.UserID, sealed)
			_, matched := totp.Match(secret, body.Code, now)
			events, err := interaction.VerifyNewTotp(s.State, *body.VerificationID, opened && matched)
			if err != nil {
				return reply{}, err
			}
			s.append(events...)
			return reply{http.StatusOK, map[string]string{"verificationId": *body.VerificationID}}, nil
		}
		u, err := h.identifiedUser(ctx, s)
		if err != nil || u == nil {
			return reply{}, orIdentifierNotFound(err)
		}
		factor, _ := u.Factor(user.FactorTotp)
		secret, opened := h.openTotp(u.ID, factor.Secret)
		step, matched := totp.Match(secret, body.Code, now)
		g, err := h.loadGuard(ctx, s, sentinel.PoolTotp, u.ID)
		if err != nil {
			return reply{}, err
		}
		out := interaction.VerifyExistingTotp(s.State, u, newID, step, opened && matched, h.attempt(g, now))
		if err := s.settle(g, u.ID, out); err != nil {
			return reply{}, err
		}
		return reply{http.StatusOK, map[string]string{"verificationId": newID}}, nil
	})
}

// attempt is the sentinel context of an MFA verification.
func (h *Handler) attempt(g guard, now time.Time) interaction.Attempt {
	return interaction.Attempt{Sentinel: g.state, Policy: h.sentinelPolicy(), Now: now}
}
