package oidcprovider

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/grant"
	"github.com/authtrail/authtrail/domain/session"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// SessionCookie names the provider's sign-in session (docs/oidc.md, SSO
// session): <session id>.<HMAC of it>, so only the server can name one.
const SessionCookie = "_session"

func sessionSubject(id string) string { return eventstore.MustSubject(session.AggregateType, id) }

func (p *Provider) signSession(id string) string {
	mac := hmac.New(sha256.New, p.cookies)
	mac.Write([]byte(SessionCookie + "=" + id))
	return id + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (p *Provider) sessionCookie(id string) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: p.signSession(id), Path: Path, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: p.cfg.SecureCookie, MaxAge: int(p.cfg.TTL.Session.Seconds())}
}

func (p *Provider) clearSessionCookie() *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: "", Path: Path, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: p.cfg.SecureCookie, MaxAge: -1}
}

// cookieSession is the session the request's cookie names, live or not;
// the zero State when there is no validly signed cookie.
func (p *Provider) cookieSession(ctx context.Context, r *http.Request) (session.State, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return session.State{}, nil
	}
	id, _, ok := strings.Cut(c.Value, ".")
	if !ok || !domain.IsID(id) || !hmac.Equal([]byte(p.signSession(id)), []byte(c.Value)) {
		return session.State{}, nil
	}
	envs, _, err := p.store.Load(ctx, sessionSubject(id))
	if err != nil {
		return session.State{}, err
	}
	events, err := eventstore.Decode(envs, session.Events)
	return session.Fold(id, events), err
}

type sessionKey struct{}

// endSession serves /oidc/session/end (RP-initiated logout): the op
// library validates the request (id_token_hint, a registered
// post_logout_redirect_uri); the session of the browser ends, its cookie
// goes, and the browser returns to the client with its state.
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, err := op.ParseEndSessionRequest(r, p.op.Decoder())
	if err == nil {
		var valid *op.EndSessionRequest
		if valid, err = op.ValidateEndSessionRequest(ctx, req, p.op); err == nil {
			st, err := p.cookieSession(ctx, r)
			if err != nil {
				p.serverError(w, r, err)
				return
			}
			if err := p.storage.TerminateSession(context.WithValue(ctx, sessionKey{}, st), valid.UserID, valid.ClientID); err != nil {
				p.serverError(w, r, err)
				return
			}
			http.SetCookie(w, p.clearSessionCookie())
			http.Redirect(w, r, valid.RedirectURI, http.StatusFound)
			return
		}
	}
	p.refuse(ctx, refusal{endpoint: grant.EndpointLogout, clientID: r.FormValue("client_id"), redirectURI: r.FormValue("post_logout_redirect_uri")}, err)
	op.RequestError(w, r, err, p.log)
}

// TerminateSession ends the session of the logout's browser (endSession
// puts it in the context).
func (s *storage) TerminateSession(ctx context.Context, _, clientID string) error {
	known, _ := ctx.Value(sessionKey{}).(session.State)
	if !known.Begun {
		return nil
	}
	return s.p.store.Run(ctx, s.p.meta(ctx), func(tx *eventstore.Tx) error {
		envs, err := tx.Load(ctx, sessionSubject(known.ID))
		if err != nil {
			return err
		}
		events, err := eventstore.Decode(envs, session.Events)
		if err != nil {
			return err
		}
		tx.Append(sessionSubject(known.ID), session.End(session.Fold(known.ID, events), clientID)...)
		return nil
	})
}
