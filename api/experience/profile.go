package experience

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/domain/username"
)

type profileBody struct {
	Type           string                     `json:"type"`
	Value          *string                    `json:"value"`
	VerificationID *string                    `json:"verificationId"`
	Values         map[string]json.RawMessage `json:"values"`
}

var extraProfileKey = regexp.MustCompile(`^[\dA-Za-z]+$`)

// decodeProfile guards the discriminated union of POST /profile (docs/experience.md, Profile).
func decodeProfile(r *http.Request) (profileBody, map[string]any, error) {
	var body profileBody
	if err := httpx.Decode(r, &body); err != nil {
		return body, nil, err
	}
	switch body.Type {
	case "username":
		if body.Value == nil || !username.Pattern.MatchString(*body.Value) {
			return body, nil, httpx.Invalid("body", `"value" must be a username`)
		}
	case "password":
		if body.Value == nil {
			return body, nil, httpx.Invalid("body", `"value" is required`)
		}
	case "email", "phone", "social":
		if body.VerificationID == nil {
			return body, nil, httpx.Invalid("body", `"verificationId" is required`)
		}
	case "extraProfile":
		if body.Values == nil {
			return body, nil, httpx.Invalid("body", `"values" is required`)
		}
		values := make(map[string]any, len(body.Values))
		for k, raw := range body.Values {
			if !extraProfileKey.MatchString(k) {
				return body, nil, httpx.Invalid("body", `"values" keys must be alphanumeric`)
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return body, nil, httpx.Invalid("body", err.Error())
			}
			values[k] = v
		}
		return body, values, nil
	default:
		return body, nil, httpx.Invalid("body", `"type" is not a profile type`)
	}
	return body, nil, nil
}

// profileStaging is POST /profile's request, with the request's password
// memo.
type profileStaging struct {
	profileBody
	values map[string]any // extraProfile
	pws    *Passwords
}

func (h *Handler) parseProfile(r *http.Request) (profileStaging, error) {
	body, values, err := decodeProfile(r)
	return profileStaging{profileBody: body, values: values, pws: h.Passwords(r.Context())}, err
}

// stageProfile serves POST /profile.
func (h *Handler) stageProfile(ctx context.Context, s *Step, body profileStaging) (Reply, error) {
	u, err := h.IdentifiedUser(ctx, s)
	if err != nil {
		return Reply{}, err
	}
	if body.Type != "social" && s.State.Event == settings.EventSignIn {
		if err := interaction.GuardMFA(s.State, h.Settings(), u); err != nil {
			return Reply{}, err
		}
	}
	if body.Type == "email" || body.Type == "social" {
		if err := h.guardRecordEmail(s, *body.VerificationID); err != nil {
			return Reply{}, err
		}
	}
	var events []domain.Event
	switch body.Type {
	case "username":
		key := h.users.Key(user.KindUsername, *body.Value)
		var owner string
		if owner, err = accounts.Owner(ctx, s.Tx, user.KindUsername, key); err != nil {
			return Reply{}, err
		}
		events, err = interaction.StageUsername(s.State, h.Settings(), u, *body.Value, owner != "" && (u == nil || owner != u.ID))
	case "password":
		events, err = interaction.StagePassword(s.State, u, *body.Value, body.pws)
	case "extraProfile":
		events, err = interaction.StageExtraProfile(s.State, body.values)
	case "social":
		var owner string
		if f, ok := interaction.RecordOf[interaction.Federated](s.State, *body.VerificationID); ok {
			id := f.FederatedIdentity()
			if owner, err = accounts.Owner(ctx, s.Tx, id.Kind, id.Key()); err != nil {
				return Reply{}, err
			}
		}
		events, err = interaction.StageFederatedIdentity(s.State, u, *body.VerificationID, owner)
	default:
		var violation *domain.Error
		var taken bool
		if violation, taken, err = h.StagingFacts(ctx, s, u, *body.VerificationID); err != nil {
			return Reply{}, err
		}
		events, err = interaction.StageVerifiedIdentifier(s.State, u, body.Type, *body.VerificationID, violation, taken)
	}
	if err != nil {
		return Reply{}, err
	}
	s.Append(events...)
	return Reply{Status: http.StatusNoContent}, nil
}

// passwordReset is PUT /profile/password's request, with the password memo.
type passwordReset struct {
	Password *string `json:"password"`
	pws      *Passwords
}

func (h *Handler) parsePasswordReset(r *http.Request) (passwordReset, error) {
	in := passwordReset{pws: h.Passwords(r.Context())}
	err := httpx.Decode(r, &in)
	if err == nil && in.Password == nil {
		err = httpx.Invalid("body", `"password" is required`)
	}
	return in, err
}

// resetPassword serves PUT /profile/password.
func (h *Handler) resetPassword(ctx context.Context, s *Step, in passwordReset) (Reply, error) {
	u, err := h.IdentifiedUser(ctx, s)
	if err != nil {
		return Reply{}, err
	}
	events, err := interaction.ResetPassword(s.State, u, *in.Password, in.pws)
	if err != nil {
		return Reply{}, err
	}
	s.Append(events...)
	return Reply{Status: http.StatusNoContent}, nil
}

// StagingFacts are what staging the email or phone of a record decides on
// (interaction.StageIdentifier): the blocklist's refusal of the email, and
// whether a user other than u owns the identifier.
func (h *Handler) StagingFacts(ctx context.Context, s *Step, u *user.State, verificationID string) (violation *domain.Error, taken bool, err error) {
	src, ok := interaction.RecordOf[interaction.ProfileSource](s.State, verificationID)
	if !ok {
		return nil, false, nil
	}
	p := src.Profile()
	kind, value := user.KindPhone, p.PrimaryPhone
	if p.PrimaryEmail != nil {
		kind, value = user.KindEmail, p.PrimaryEmail
		violation = h.EmailViolation(*value)
	}
	if value == nil {
		return nil, false, nil
	}
	owner, err := accounts.Owner(ctx, s.Tx, kind, h.users.Key(kind, *value))
	return violation, owner != "" && (u == nil || owner != u.ID), err
}
