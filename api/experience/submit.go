package experience

import (
	"context"
	"net/http"
	"net/url"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

// submit serves POST /submit: the staged profile is written to
// the user and the interaction is closed in one atomic append, so a second
// concurrent submit conflicts, is decided again and finds the interaction
// consumed.
func (h *Handler) submit(ctx context.Context, s *Step, _ struct{}) (Reply, error) {
	u, err := h.IdentifiedUser(ctx, s)
	if err != nil {
		return Reply{}, err
	}
	in := interaction.SubmitInput{User: u, InteractionID: s.ID, Now: h.clock.Now(), NewID: h.ids.NewID}
	if u != nil {
		if in.Taken, err = h.users.Taken(ctx, s.Tx, interaction.StagedIdentifiers(&s.State.Profile), u.ID); err != nil {
			return Reply{}, err
		}
		if in.CredentialOwners, err = h.credentialOwners(ctx, s.Tx, interaction.StagedCredentials(s.State)); err != nil {
			return Reply{}, err
		}
	}
	out, err := interaction.Submit(s.State, h.Settings(), in)
	if err != nil {
		return Reply{}, err
	}
	s.Append(out.Interaction...)
	if len(out.User) > 0 {
		s.Tx.Append(accounts.Subject(u.ID), out.User...)
	}
	h.users.ClaimAll(s.Tx, out.Claims, u.ID)
	for _, id := range out.Credentials {
		accounts.Claim(s.Tx, user.KindWebAuthn, id, u.ID)
	}
	if s.State.Event == settings.EventForgotPassword {
		return Reply{Status: http.StatusNoContent}, nil
	}
	return Reply{Status: http.StatusOK, Body: map[string]string{"redirectTo": h.redirectTo(s.ID, s.State.Authorization)}}, nil
}

// redirectTo is, for an interaction /oidc/auth started, the provider's
// /oidc/auth/{uid} of its authorization request (docs/oidc.md, The flow);
// for a standalone one, the configured return URL with the interaction id
// appended (docs/experience.md, decision 5).
func (h *Handler) redirectTo(interactionID, authorization string) string {
	if authorization != "" && h.cfg.AuthorizationURL != "" {
		return h.cfg.AuthorizationURL + "/" + authorization
	}
	u, err := url.Parse(h.cfg.ReturnURL)
	if err != nil {
		return h.cfg.ReturnURL
	}
	q := u.Query()
	q.Set("interaction", interactionID)
	u.RawQuery = q.Encode()
	return u.String()
}

// credentialOwners maps WebAuthn credential ids to the users owning them.
func (h *Handler) credentialOwners(ctx context.Context, tx *eventstore.Tx, ids []string) (map[string]string, error) {
	owners := map[string]string{}
	for _, id := range ids {
		owner, err := accounts.Owner(ctx, tx, user.KindWebAuthn, id)
		if err != nil {
			return nil, err
		}
		owners[id] = owner
	}
	return owners, nil
}
