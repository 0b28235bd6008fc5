package experience

import (
	"context"
	"net/http"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

type bindBody struct {
	Type           string `json:"type"`
	VerificationID string `json:"verificationId"`
}

// parseBind guards POST /profile/mfa: the type must be a factor a
// registered method binds.
func (h *Handler) parseBind(r *http.Request) (bindBody, error) {
	var body bindBody
	err := httpx.Decode(r, &body)
	if _, known := h.binders[body.Type]; err == nil && (!known || body.VerificationID == "") {
		err = httpx.Invalid("body", `"type" must be an MFA factor and "verificationId" is required`)
	}
	return body, err
}

// bindMFA serves POST /profile/mfa: the interaction's guard,
// then the factor's method.
func (h *Handler) bindMFA(ctx context.Context, s *Step, body bindBody) (Reply, error) {
	u, err := h.IdentifiedUser(ctx, s)
	if err != nil {
		return Reply{}, err
	}
	if err := interaction.GuardBinding(s.State, h.Settings(), u); err != nil {
		return Reply{}, err
	}
	if body.Type == user.FactorEmail {
		if err := h.guardRecordEmail(s, body.VerificationID); err != nil {
			return Reply{}, err
		}
	}
	events, err := h.binders[body.Type].Bind(ctx, s, u, body.Type, body.VerificationID)
	if err != nil {
		return Reply{}, err
	}
	s.Append(events...)
	return Reply{Status: http.StatusNoContent}, nil
}

// skipMFA serves POST /profile/mfa/mfa-skipped and mfa-suggestion-skipped.
func (h *Handler) skipMFA(decide func(interaction.State, *settings.SignInExperience, *user.State) ([]domain.Event, error)) Decide[struct{}] {
	return func(ctx context.Context, s *Step, _ struct{}) (Reply, error) {
		u, err := h.IdentifiedUser(ctx, s)
		if err != nil {
			return Reply{}, err
		}
		events, err := decide(s.State, h.Settings(), u)
		if err != nil {
			return Reply{}, err
		}
		s.Append(events...)
		return Reply{Status: http.StatusNoContent}, nil
	}
}
