package oidcprovider

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/grant"
	"github.com/authtrail/authtrail/domain/session"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/gorilla/mux"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// authorize serves /oidc/auth (docs/oidc.md, The flow): the op library
// parses and validates the request; an unknown client or an unregistered
// redirect_uri gets an error page, any other refusal goes back to the
// client. A live session of the browser answers at once (unless
// prompt=login or max_age says otherwise); else the request is recorded,
// an interaction bound to it starts, and the browser goes to the sign-in
// page.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, err := op.ParseAuthorizeRequest(r, p.op.Decoder())
	if err != nil {
		p.refuseWithPage(w, r, refusal{endpoint: grant.EndpointAuthorization}, err)
		return
	}
	rf := refusal{endpoint: grant.EndpointAuthorization, clientID: req.ClientID, redirectURI: req.RedirectURI}
	c, ok := p.clients[req.ClientID]
	if !ok {
		p.refuseWithPage(w, r, rf, oidc.ErrInvalidRequest().WithDescription("unknown client_id"))
		return
	}
	if err := op.ValidateAuthReqRedirectURI(c, req.RedirectURI, req.ResponseType); err != nil {
		p.refuseWithPage(w, r, rf, err)
		return
	}
	// From here on the redirect_uri is the client's: refusals go back there.
	if err := checkRequest(c, req); err != nil {
		p.refuseToClient(w, r, rf, req, err)
		return
	}
	if _, err := op.ValidateAuthRequestClient(ctx, req, c, p.op.IDTokenHintVerifier(ctx)); err != nil {
		p.refuseToClient(w, r, rf, req, err)
		return
	}
	resources := r.Form["resource"]
	for _, res := range resources {
		if !slices.Contains(p.cfg.Resources, res) {
			p.refuseToClient(w, r, rf, req, domain.E("oidc.invalid_target"))
			return
		}
	}
	ctx = context.WithValue(ctx, resourcesKey{}, resources)
	r = r.WithContext(ctx)
	sess, err := p.cookieSession(ctx, r)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	now := p.clock.Now()
	usable := sess.Live(now) && sess.Fresh(req.MaxAge, now) && !slices.Contains(req.Prompt, oidc.PromptLogin)
	switch {
	case usable:
		p.answerFromSession(w, r, req, sess)
	case slices.Contains(req.Prompt, oidc.PromptNone):
		p.refuseToClient(w, r, rf, req, domain.E("oidc.login_required"))
	default:
		p.startSignIn(w, r, req)
	}
}

// checkRequest adds the contract's rules to the op library's: code flow
// only, and PKCE with S256 (required of public clients, plain refused).
func checkRequest(c *client, req *oidc.AuthRequest) error {
	switch {
	case req.ResponseType != oidc.ResponseTypeCode:
		return domain.E("oidc.unsupported_response_type")
	case req.CodeChallenge == "" && c.public():
		return domain.E("oidc.invalid_request@pkce_required")
	case req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		// An absent method means plain (RFC 7636 §4.3).
		return domain.E("oidc.invalid_request@pkce_plain")
	}
	return nil
}

// startSignIn records the request, starts its interaction and sends the
// browser to the sign-in page.
func (p *Provider) startSignIn(w http.ResponseWriter, r *http.Request, req *oidc.AuthRequest) {
	ctx := r.Context()
	// The request and its interaction are two aggregates: appended side by
	// side, the browser waits for one fsync, not two. Should one fail, the
	// other is an orphan that expires: a request nobody signs in to, or an
	// interaction whose return finds no request.
	id := p.ids.NewID()
	recorded := make(chan error, 1)
	go func() {
		_, err := p.storage.record(ctx, id, req)
		recorded <- err
	}()
	cookie, err := p.exp.StartAuthorization(ctx, r, id)
	if recErr := <-recorded; err == nil {
		err = recErr
	}
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	target, err := url.Parse(p.cfg.SignInURL)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	q := target.Query()
	if req.LoginHint != "" {
		q.Set("login_hint", req.LoginHint)
	}
	target.RawQuery = q.Encode()
	http.SetCookie(w, cookie)
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// answerFromSession answers the request with the browser's live session:
// the request is recorded, then answered (two single-message appends,
// cheaper than an atomic batch; a failure between them leaves a request
// that nothing answered, which expires).
func (p *Provider) answerFromSession(w http.ResponseWriter, r *http.Request, req *oidc.AuthRequest, sess session.State) {
	ctx := r.Context()
	recorded, err := p.storage.CreateAuthRequest(ctx, req, "")
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.answer(w, r, recorded.GetID(), grant.Authenticated{UserID: sess.UserID, SessionID: sess.ID, AuthTime: sess.AuthTime, AMR: sess.AMR})
}

// answer issues the code of a recorded request to the sign-in that
// authenticated the user, and sends the browser back to the client with it.
func (p *Provider) answer(w http.ResponseWriter, r *http.Request, id string, a grant.Authenticated) {
	ctx := r.Context()
	issued, err := p.op.Crypto().Encrypt(id)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	digest := p.digests.Hash(id, issued)
	now := p.clock.Now()
	var answered grant.State
	err = p.store.Run(ctx, p.meta(ctx), func(tx *eventstore.Tx) error {
		var err error
		if answered, err = loadGrant(ctx, tx, id); err != nil {
			return err
		}
		events, err := grant.Authenticate(answered, a, digest, now, codeTTL)
		if err != nil {
			return err
		}
		tx.Append(grantSubject(id), events...)
		return nil
	})
	if _, refused := domain.AsError(err); refused {
		rf := refusal{endpoint: grant.EndpointCallback, grantID: id}
		if answered.Request != nil {
			rf.clientID = answered.Request.ClientID
		}
		p.refuseWithPage(w, r, rf, err)
		return
	}
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	if a.InteractionID != "" {
		http.SetCookie(w, p.sessionCookie(a.SessionID))
	}
	p.redirectWithCode(w, r, newRequest(answered), issued)
}

// callback serves /oidc/auth/{uid}, where the submit of the request's
// interaction sends the browser: the interaction of this browser's cookie
// must be the request's and submitted; then the sign-in starts a session
// and the request gets its code.
func (p *Provider) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	uid := mux.Vars(r)["uid"]
	st, err := p.readGrant(ctx, uid)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	if st.Request == nil {
		p.refuseWithPage(w, r, refusal{endpoint: grant.EndpointCallback}, domain.E("oidc.authorization_not_found"))
		return
	}
	rf := refusal{endpoint: grant.EndpointCallback, grantID: uid, clientID: st.Request.ClientID}
	interactionID, in, err := p.exp.CookieInteraction(ctx, r)
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	now := p.clock.Now()
	switch {
	case !st.Ready(now):
		p.refuseWithPage(w, r, rf, domain.E("oidc.authorization_not_found"))
		return
	case interactionID == "" || in.Authorization != uid:
		// Another browser, or none: it gets no code.
		p.refuseWithPage(w, r, rf, domain.E("oidc.interaction_required"))
		return
	case !in.Completed || in.UserID == "":
		p.refuse(ctx, rf, domain.E("oidc.interaction_required"))
		http.Redirect(w, r, p.cfg.SignInURL, http.StatusFound)
		return
	}
	sid := p.ids.NewID()
	started := &session.Started{UserID: in.UserID, InteractionID: interactionID, AuthTime: now, AMR: in.AMR(), ExpiresAt: now.Add(p.cfg.TTL.Session)}
	// The session first: two single-message appends cost less than an
	// atomic batch of both, and this order keeps every grant's session
	// real. A failure between them leaves a session no cookie names.
	err = p.store.Run(ctx, p.meta(ctx), func(tx *eventstore.Tx) error {
		tx.Append(sessionSubject(sid), started)
		return nil
	})
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	p.answer(w, r, uid, grant.Authenticated{UserID: in.UserID, SessionID: sid, InteractionID: interactionID, AuthTime: now, AMR: started.AMR})
}

// redirectWithCode sends the browser back to the client with the code and
// the state.
func (p *Provider) redirectWithCode(w http.ResponseWriter, r *http.Request, req *request, issued string) {
	target, err := op.AuthResponseURL(req.GetRedirectURI(), req.GetResponseType(), req.GetResponseMode(),
		&op.CodeResponseType{Code: issued, State: req.GetState()}, p.op.Encoder())
	if err != nil {
		p.serverError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusFound)
}

// resourcesKey holds, in the authorization request's context, the
// resources it asked for (checked against oidc.resources).
type resourcesKey struct{}

// requested is the event recording an accepted request.
func (p *Provider) requested(ctx context.Context, req *oidc.AuthRequest) *grant.Requested {
	c := p.clients[req.ClientID]
	resources, _ := ctx.Value(resourcesKey{}).([]string)
	return &grant.Requested{Resources: slices.Clone(resources),
		ClientID: req.ClientID, RedirectURI: req.RedirectURI, Scopes: c.grantedScopes(req.Scopes),
		ResponseType: string(req.ResponseType), ResponseMode: string(req.ResponseMode), State: req.State, Nonce: req.Nonce,
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod),
		Prompt: req.Prompt, MaxAge: req.MaxAge, LoginHint: req.LoginHint, ExpiresAt: p.clock.Now().Add(requestTTL),
	}
}
