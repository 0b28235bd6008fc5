package experience

import (
	"context"
	"net/http"
	"net/url"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// submit serves POST /submit (spec §1.4): the staged profile is written to
// the user and the interaction is closed in one atomic append, so a second
// concurrent submit conflicts, is decided again and finds the interaction
// consumed.
func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, "submit", func(ctx context.Context, s *step) (reply, error) {
		u, err := h.identifiedUser(ctx, s)
		if err != nil {
			return reply{}, err
		}
		in := interaction.SubmitInput{User: u, InteractionID: s.ID, Now: h.clock.Now(), NewID: h.ids.NewID}
		if u != nil {
			if in.Taken, err = h.owners(ctx, s.tx, interaction.StagedIdentifiers(&s.State.Profile), u.ID); err != nil {
				return reply{}, err
			}
		}
		out, err := interaction.Submit(s.State, h.sie(), in)
		if err != nil {
			return reply{}, err
		}
		s.append(out.Interaction...)
		if len(out.User) > 0 {
			s.tx.Append(accounts.Subject(u.ID), out.User...)
		}
		h.claim(s.tx, out.Claims, u.ID)
		if err := h.claimCredentials(ctx, s, u.ID); err != nil {
			return reply{}, err
		}
		if s.State.Event == settings.EventForgotPassword {
			return reply{status: http.StatusNoContent}, nil
		}
		return reply{http.StatusOK, map[string]string{"redirectTo": h.redirectTo(s.ID)}}, nil
	})
}

// redirectTo is the configured return URL with the interaction id appended
// (spec §6, decision 5).
func (h *Handler) redirectTo(interactionID string) string {
	u, err := url.Parse(h.cfg.ReturnURL)
	if err != nil {
		return h.cfg.ReturnURL
	}
	q := u.Query()
	q.Set("interaction", interactionID)
	u.RawQuery = q.Encode()
	return u.String()
}

// claimCredentials claims the WebAuthn credentials bound in the interaction,
// so a credential id belongs to one user only.
func (h *Handler) claimCredentials(ctx context.Context, s *step, userID string) error {
	for _, cred := range s.State.MFA.WebAuthn {
		owner, err := accounts.Owner(ctx, s.tx, user.KindWebAuthn, cred.CredentialID)
		if err != nil {
			return err
		}
		if owner != "" && owner != userID {
			return domain.E("session.mfa.webauthn_verification_failed").WithData(map[string]any{"message": "credential registered to another user"})
		}
		if owner == "" {
			accounts.Claim(s.tx, user.KindWebAuthn, cred.CredentialID, userID)
		}
	}
	return nil
}
