package oidcprovider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/grant"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Every refusal of the provider is an event (docs/oidc.md, Events):
// oidc.request.refused on the grant it concerns, or on a grant of its own
// when it concerns none (an unknown client, a garbage code).

// refusal is what a refusal names.
type refusal struct {
	endpoint    string
	grantID     string // the grant concerned, if any
	clientID    string
	redirectURI string
	grantType   string
}

// refused is the business error a refusal's transaction returns, so that
// by the commit rule it commits its failure event and nothing else.
var refused = domain.E("oidc.invalid_request")

// refuse records a refusal with the OAuth error it is answered with.
func (p *Provider) refuse(ctx context.Context, rf refusal, cause error) {
	oe := oauthError(cause)
	p.record(ctx, rf, string(oe.ErrorType), oe.Description)
}

func (p *Provider) record(ctx context.Context, rf refusal, code, description string) {
	id := rf.grantID
	if id == "" {
		id = p.ids.NewID()
	}
	ev := &grant.Refused{Endpoint: rf.endpoint, ClientID: rf.clientID, RedirectURI: rf.redirectURI, GrantType: rf.grantType,
		Error: code, Description: description}
	err := p.store.Run(ctx, p.meta(ctx), func(tx *eventstore.Tx) error {
		if rf.grantID != "" {
			if _, err := tx.Last(ctx, grantSubject(id)); err != nil {
				return err
			}
		}
		tx.Failure(grantSubject(id), ev)
		return refused
	})
	if !errors.Is(err, refused) {
		p.log.ErrorContext(ctx, "oidc: recording a refusal failed", "endpoint", rf.endpoint, "err", err)
	}
}

// refuseWithPage records a refusal and answers it with the error page:
// the client's redirect_uri is not to be trusted (or there is no client).
func (p *Provider) refuseWithPage(w http.ResponseWriter, r *http.Request, rf refusal, cause error) {
	p.refuse(r.Context(), rf, cause)
	oe := oauthError(cause)
	p.errorPage(w, http.StatusBadRequest, string(oe.ErrorType), oe.Description)
}

// refuseToClient records a refusal and sends it back to the client's
// (validated) redirect_uri (OIDC Core §3.1.2.6).
func (p *Provider) refuseToClient(w http.ResponseWriter, r *http.Request, rf refusal, req *oidc.AuthRequest, cause error) {
	p.refuse(r.Context(), rf, cause)
	op.AuthRequestError(w, r, errorRequest{req}, oauthError(cause), p.op)
}

func (p *Provider) serverError(w http.ResponseWriter, r *http.Request, err error) {
	p.log.ErrorContext(r.Context(), "oidc: request failed", "path", r.URL.Path, "err", err)
	p.errorPage(w, http.StatusInternalServerError, "server_error", "The server could not answer; try again.")
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head>
<body><main><h1>Sign-in error</h1><p><code>{{.Code}}</code></p><p>{{.Description}}</p></main></body></html>
`))

// errorPage is the provider's own page for a request it cannot send back.
func (p *Provider) errorPage(w http.ResponseWriter, status int, code, description string) {
	var buf bytes.Buffer
	_ = errorPage.Execute(&buf, struct{ Code, Description string }{code, description})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// recordRefusals records each refused token request: the op library
// answers it, and this reads the answer's OAuth error.
func (p *Provider) recordRefusals(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm() // before the op library's copy of r reads the body
		rec := &statusRecorder{ResponseWriter: w}
		w.Header().Set("Cache-Control", "no-store")
		presented := p.presentedGrant(r.Context(), r)
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), tokenKey{}, &tokenContext{resources: presented.resources()})))
		if rec.status < 400 {
			return
		}
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(rec.body.Bytes(), &body)
		if body.Error == "" {
			body.Error = "http_" + strconv.Itoa(rec.status)
		}
		clientID, _, _ := r.BasicAuth()
		if clientID == "" {
			clientID = r.PostForm.Get("client_id")
		}
		rf := refusal{endpoint: grant.EndpointToken, clientID: clientID, grantType: r.PostForm.Get("grant_type"),
			redirectURI: r.PostForm.Get("redirect_uri"), grantID: presented.ID}
		p.record(r.Context(), rf, body.Error, body.Description)
	})
}

// presented is the grant a token request's code or refresh token names,
// before anything is verified: what a refusal is recorded on, and whether
// the access token will be a JWT (the op library asks for the client,
// whose token type says it, before it checks a refresh token).
type presented struct {
	ID      string // "" when the request names no recorded grant
	request *grant.Requested
}

func (g presented) resources() []string {
	if g.request == nil {
		return nil
	}
	return g.request.Resources
}

func (p *Provider) presentedGrant(ctx context.Context, r *http.Request) presented {
	var id string
	switch r.PostForm.Get("grant_type") {
	case string(oidc.GrantTypeCode):
		id, _ = p.op.Crypto().Decrypt(r.PostForm.Get("code"))
	case string(oidc.GrantTypeRefreshToken):
		id, _, _, _ = splitRefresh(r.PostForm.Get("refresh_token"))
	}
	if !domain.IsID(id) {
		return presented{}
	}
	st, err := p.readGrant(ctx, id)
	if err != nil || st.Request == nil {
		return presented{}
	}
	return presented{ID: id, request: st.Request}
}

// statusRecorder keeps the status, and the body of an error answer.
type statusRecorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (s *statusRecorder) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	if s.status >= 400 && s.body.Len() < 4096 {
		s.body.Write(b)
	}
	return s.ResponseWriter.Write(b)
}
