package experience

import (
	"context"
	"net/http"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

var mfaFactors = map[string]bool{user.FactorTotp: true, user.FactorWebAuthn: true, user.FactorBackupCode: true,
	user.FactorEmail: true, user.FactorPhone: true}

type bindBody struct {
	Type           string `json:"type"`
	VerificationID string `json:"verificationId"`
}

func parseBind(r *http.Request) (bindBody, error) {
	var body bindBody
	err := httpx.Decode(r, &body)
	if err == nil && (!mfaFactors[body.Type] || body.VerificationID == "") {
		err = httpx.Invalid("body", `"type" must be an MFA factor and "verificationId" is required`)
	}
	return body, err
}

// bindMFA serves POST /profile/mfa (spec §1.7).
func (h *Handler) bindMFA(ctx context.Context, s *Step, body bindBody) (Reply, error) {
	u, err := h.identifiedUser(ctx, s)
	if err != nil {
		return Reply{}, err
	}
	var in interaction.BindInput
	if rec, ok := s.State.Record(body.VerificationID); ok && rec.Identifier != nil && (body.Type == user.FactorEmail || body.Type == user.FactorPhone) {
		kind, key := h.users.Identifier(rec.Identifier.Type, rec.Identifier.Value)
		owner, err := accounts.Owner(ctx, s.Tx, kind, key)
		if err != nil {
			return Reply{}, err
		}
		in.Taken = owner != "" && (u == nil || owner != u.ID)
		if kind == user.KindEmail {
			in.EmailViolation = h.emailViolation(rec.Identifier.Value)
		}
	}
	events, err := interaction.BindMFA(s.State, h.sie(), u, body.Type, body.VerificationID, in)
	if err != nil {
		return Reply{}, err
	}
	s.Append(events...)
	return Reply{Status: http.StatusNoContent}, nil
}

// skipMFA serves POST /profile/mfa/mfa-skipped and mfa-suggestion-skipped.
func (h *Handler) skipMFA(decide func(interaction.State, *settings.SignInExperience, *user.State) ([]domain.Event, error)) Decide[struct{}] {
	return func(ctx context.Context, s *Step, _ struct{}) (Reply, error) {
		u, err := h.identifiedUser(ctx, s)
		if err != nil {
			return Reply{}, err
		}
		events, err := decide(s.State, h.sie(), u)
		if err != nil {
			return Reply{}, err
		}
		s.Append(events...)
		return Reply{Status: http.StatusNoContent}, nil
	}
}
