package experience

import (
	"context"
	"net/http"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

type identificationBody struct {
	VerificationID     string `json:"verificationId"`
	LinkSocialIdentity bool   `json:"linkSocialIdentity"`
}

// identify serves POST /identification (spec §1.3): SignIn and
// ForgotPassword bind an existing user; Register creates the user.
func (h *Handler) identify(w http.ResponseWriter, r *http.Request) {
	var body identificationBody
	bodyErr := httpx.Decode(r, &body)
	newUserID := ""
	h.serve(w, r, "identification", func(ctx context.Context, s *step) (reply, error) {
		if bodyErr != nil {
			return reply{}, bodyErr
		}
		if s.State.Event == settings.EventRegister {
			if newUserID == "" {
				newUserID = h.users.NextID()
			}
			return h.register(ctx, s, body.VerificationID, &newUserID)
		}
		var u *user.State
		if rec, ok := s.State.Record(body.VerificationID); ok && rec.UserID != "" {
			var err error
			if u, err = accounts.Load(ctx, s.tx, rec.UserID); err != nil {
				return reply{}, err
			}
		}
		events, err := interaction.IdentifyExisting(s.State, h.sie(), body.VerificationID, u)
		if err != nil {
			return reply{}, err
		}
		s.append(events...)
		return reply{status: http.StatusNoContent}, nil
	})
}

// register creates the user in one atomic append: the user's first event,
// the claims of its unique identifiers, and the interaction's binding. A
// user id or identifier claimed meanwhile makes the append conflict, and
// the step is decided again. newUserID is replaced when another process
// took it.
func (h *Handler) register(ctx context.Context, s *step, verificationID string, newUserID *string) (reply, error) {
	in := interaction.RegisterInput{VerificationID: verificationID, InteractionID: s.ID, Now: h.clock.Now()}
	candidate := interaction.CandidateUsername(s.State, verificationID)
	usernameKey := h.sie().UsernamePolicy.WithDefaults().Normalize(candidate)
	if candidate != "" {
		owner, err := accounts.Owner(ctx, s.tx, user.KindUsername, usernameKey)
		if err != nil {
			return reply{}, err
		}
		in.UsernameTaken = owner != ""
	}
	existing, err := accounts.Load(ctx, s.tx, *newUserID)
	if err != nil {
		return reply{}, err
	}
	if existing != nil {
		*newUserID = h.users.NextID()
	}
	in.NewUserID = *newUserID
	out := interaction.IdentifyNewUser(s.State, h.sie(), in)
	s.append(out.Interaction...)
	if out.Err != nil {
		return reply{}, out.Err
	}
	s.tx.Append(accounts.Subject(out.User.UserID), out.User)
	if out.User.Username != "" {
		accounts.Claim(s.tx, user.KindUsername, usernameKey, out.User.UserID)
	}
	return reply{http.StatusCreated, struct{}{}}, nil
}
