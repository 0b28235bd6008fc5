package experience

import (
	"context"
	"net/http"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/user"
)

var mfaFactors = map[string]bool{user.FactorTotp: true, user.FactorWebAuthn: true, user.FactorBackupCode: true,
	user.FactorEmail: true, user.FactorPhone: true}

// bindMFA serves POST /profile/mfa (spec §1.7).
func (h *Handler) bindMFA(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Type           string `json:"type"`
		VerificationID string `json:"verificationId"`
	}
	bodyErr := httpx.Decode(r, &body)
	if bodyErr == nil && (!mfaFactors[body.Type] || body.VerificationID == "") {
		bodyErr = httpx.Invalid("body", `"type" must be an MFA factor and "verificationId" is required`)
	}
	h.serve(w, r, "profile.mfa", func(ctx context.Context, s *step) (reply, error) {
		if bodyErr != nil {
			return reply{}, bodyErr
		}
		u, err := h.identifiedUser(ctx, s)
		if err != nil {
			return reply{}, err
		}
		var in interaction.BindInput
		if rec, ok := s.State.Record(body.VerificationID); ok && rec.Identifier != nil && (body.Type == user.FactorEmail || body.Type == user.FactorPhone) {
			kind, key := h.lookupKey(identifierBody{Type: rec.Identifier.Type, Value: rec.Identifier.Value})
			owner, err := accounts.Owner(ctx, s.tx, kind, key)
			if err != nil {
				return reply{}, err
			}
			in.Taken = owner != "" && (u == nil || owner != u.ID)
			if kind == user.KindEmail {
				in.EmailViolation = h.emailViolation(rec.Identifier.Value)
			}
		}
		events, err := interaction.BindMFA(s.State, h.sie(), u, body.Type, body.VerificationID, in)
		if err != nil {
			return reply{}, err
		}
		s.append(events...)
		return reply{status: http.StatusNoContent}, nil
	})
}

// skipMFA serves POST /profile/mfa/mfa-skipped and mfa-suggestion-skipped.
func (h *Handler) skipMFA(name string, decide func(interaction.State, *user.State) ([]domain.Event, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.serve(w, r, name, func(ctx context.Context, s *step) (reply, error) {
			u, err := h.identifiedUser(ctx, s)
			if err != nil {
				return reply{}, err
			}
			events, err := decide(s.State, u)
			if err != nil {
				return reply{}, err
			}
			s.append(events...)
			return reply{status: http.StatusNoContent}, nil
		})
	}
}
