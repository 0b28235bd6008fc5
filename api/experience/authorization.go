package experience

import (
	"context"
	"net/http"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore"
)

// What the OpenID Connect provider asks of the Experience API
// (docs/oidc.md, The flow): an interaction that answers an authorization
// request, and, when the browser comes back, that interaction.

// StartAuthorization begins a SignIn interaction bound to the
// authorization request grantID and returns the cookie naming it, which the
// provider sets on its redirect to the sign-in page.
func (h *Handler) StartAuthorization(ctx context.Context, r *http.Request, grantID string) (*http.Cookie, error) {
	id := h.ids.NewID()
	client := interaction.Client{IP: httpx.ClientIP(r, h.cfg.TrustedProxies), UserAgent: httpx.UserAgent(r)}
	events := interaction.Start(settings.EventSignIn, h.clock.Now(), h.cfg.TTL, client, grantID)
	err := h.store.Run(ctx, h.meta(r, id), func(tx *eventstore.Tx) error {
		tx.Append(eventstore.MustSubject(interaction.AggregateType, id), events...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h.cookie(id), nil
}

// CookieInteraction is the interaction the request's cookie names, with
// its state; "" when there is no validly signed cookie.
func (h *Handler) CookieInteraction(ctx context.Context, r *http.Request) (string, interaction.State, error) {
	id := h.interactionID(r)
	if id == "" {
		return "", interaction.State{}, nil
	}
	envs, _, err := h.store.Load(ctx, eventstore.MustSubject(interaction.AggregateType, id))
	if err != nil {
		return "", interaction.State{}, err
	}
	events, err := eventstore.Decode(envs, h.events)
	if err != nil {
		return "", interaction.State{}, err
	}
	return id, interaction.Fold(events), nil
}
