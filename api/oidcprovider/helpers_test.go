package oidcprovider_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/oidcprovider"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

const callbackURL = "http://localhost:3000/callback"

// testClients are a public browser app and a confidential server app.
var testClients = []oidcprovider.ClientConfig{
	{ID: "app", Type: oidcprovider.TypeSPA, RedirectURIs: []string{callbackURL}, PostLogoutRedirectURIs: []string{"http://localhost:3000/"},
		Scopes: []string{"openid", "profile", "email", "phone", "offline_access"}},
	{ID: "web", Type: oidcprovider.TypeTraditional, Secret: "web-secret", RedirectURIs: []string{"http://localhost:4000/cb"},
		Scopes: []string{"openid", "profile", "offline_access"}},
}

// newServer is a test server with the provider and its test clients, on
// the real clock (relying parties check expiries against it).
func newServer(t *testing.T, sie *settings.SignInExperience) *apitest.Server {
	t.Helper()
	return apitest.NewServer(t, apitest.Options{
		Settings: sie,
		Clock:    apitest.NewClock(time.Now().UTC().Truncate(time.Second)),
		OIDC:     &oidcprovider.Config{Clients: testClients},
	})
}

// relyingParty is an application of the server: coreos/go-oidc verifies
// its ID tokens against the provider's JWKS, x/oauth2 runs its code flow.
type relyingParty struct {
	t        *testing.T
	srv      *apitest.Server
	provider *oidc.Provider
	conf     oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newRP(t *testing.T, srv *apitest.Server, clientID, secret, redirect string, scopes ...string) *relyingParty {
	t.Helper()
	provider, err := oidc.NewProvider(context.Background(), srv.URL+"/oidc")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	// One client authentication style, so a refused token request is sent
	// once (x/oauth2's auto-detection tries again in the other style).
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInParams
	if secret != "" {
		endpoint.AuthStyle = oauth2.AuthStyleInHeader
	}
	return &relyingParty{
		t: t, srv: srv, provider: provider,
		conf:     oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: endpoint, RedirectURL: redirect, Scopes: scopes},
		verifier: provider.Verifier(&oidc.Config{ClientID: clientID}),
	}
}

// browser is a user agent: it keeps cookies and does not follow
// redirects, so a test sees each one.
func browser(t *testing.T, srv *apitest.Server) *apitest.Client {
	c := srv.Client(t)
	c.HTTP.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// authorization is one code flow's client side.
type authorization struct {
	state, nonce, verifier string
}

func newAuthorization() authorization {
	return authorization{state: oauth2.GenerateVerifier()[:16], nonce: oauth2.GenerateVerifier()[:16], verifier: oauth2.GenerateVerifier()}
}

// authURL is the authorization request, with extra parameters.
func (rp *relyingParty) authURL(a authorization, extra ...oauth2.AuthCodeOption) string {
	opts := append([]oauth2.AuthCodeOption{oidc.Nonce(a.nonce), oauth2.S256ChallengeOption(a.verifier)}, extra...)
	return rp.conf.AuthCodeURL(a.state, opts...)
}

// get sends the browser to an absolute URL and returns the status and
// the redirect's target.
func get(t *testing.T, b *apitest.Client, target string) (int, *url.URL, string) {
	t.Helper()
	resp, err := b.HTTP.Get(target)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	loc, _ := resp.Location()
	return resp.StatusCode, loc, string(body)
}

// signInPage runs the authorization request to the sign-in page.
func signInPage(t *testing.T, b *apitest.Client, rp *relyingParty, a authorization, extra ...oauth2.AuthCodeOption) {
	t.Helper()
	status, loc, body := get(t, b, rp.authURL(a, extra...))
	if status != http.StatusFound || loc == nil || !strings.HasSuffix(loc.Path, "/sign-in") {
		t.Fatalf("authorize: %d %v %s, want a redirect to the sign-in page", status, loc, body)
	}
}

// atSignInPage is a new browser sent by rp's authorization request to the
// sign-in page, and that request.
func atSignInPage(t *testing.T, srv *apitest.Server, rp *relyingParty, extra ...oauth2.AuthCodeOption) (*apitest.Client, authorization) {
	t.Helper()
	b := browser(t, srv)
	a := newAuthorization()
	signInPage(t, b, rp, a, extra...)
	return b, a
}

// passwordSignIn is the sign-in page's work: a password, identification,
// submit; it returns the submit's redirectTo.
func passwordSignIn(t *testing.T, b *apitest.Client, name string) string {
	t.Helper()
	identify(t, b, name)
	return b.Expect(http.MethodPost, "/submit", nil, http.StatusOK)["redirectTo"].(string)
}

// identify verifies name's password and identifies the user.
func identify(t *testing.T, b *apitest.Client, name string) {
	t.Helper()
	vid := b.Expect(http.MethodPost, "/verification/password", map[string]any{
		"identifier": map[string]string{"type": "username", "value": name}, "password": apitest.ScriptPassword,
	}, http.StatusOK)["verificationId"]
	b.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusNoContent)
}

// codeFrom follows the submit's redirectTo and returns the code the
// client's callback gets, checking the state.
func codeFrom(t *testing.T, b *apitest.Client, redirectTo string, a authorization) string {
	t.Helper()
	status, loc, body := get(t, b, redirectTo)
	if status != http.StatusFound || loc == nil {
		t.Fatalf("GET %s: %d %s, want a redirect to the client", redirectTo, status, body)
	}
	return callbackCode(t, loc, a)
}

func callbackCode(t *testing.T, loc *url.URL, a authorization) string {
	t.Helper()
	q := loc.Query()
	if q.Get("error") != "" || q.Get("code") == "" || q.Get("state") != a.state {
		t.Fatalf("callback %s: want a code and state %q", loc, a.state)
	}
	return q.Get("code")
}

// exchange trades a code for tokens and verifies the ID token.
func (rp *relyingParty) exchange(code string, a authorization) (*oauth2.Token, *oidc.IDToken, map[string]any) {
	rp.t.Helper()
	tok, err := rp.conf.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		rp.t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := rp.verifier.Verify(context.Background(), raw)
	if err != nil {
		rp.t.Fatalf("verify ID token: %v", err)
	}
	if idt.Nonce != a.nonce {
		rp.t.Fatalf("nonce %q, want %q", idt.Nonce, a.nonce)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		rp.t.Fatal(err)
	}
	return tok, idt, claims
}

// oauthError is the error of a failed token request.
func oauthError(err error) string {
	var re *oauth2.RetrieveError
	if e, ok := err.(*oauth2.RetrieveError); ok {
		re = e
	}
	if re == nil {
		return ""
	}
	return re.ErrorCode
}

// asWeb posts a form to the provider as the confidential client web.
func asWeb(t *testing.T, srv *apitest.Server, path string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("web", "web-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// introspect asks, as the confidential client, whether a token is active.
func introspect(t *testing.T, srv *apitest.Server, token string) map[string]any {
	t.Helper()
	resp := asWeb(t, srv, "/oidc/token/introspection", url.Values{"token": {token}})
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("introspection: %d: %v", resp.StatusCode, err)
	}
	return out
}

// grantEvents lists the event types of every grant, in the log's order.
func grantEvents(t *testing.T, srv *apitest.Server) []string {
	var out []string
	for _, line := range srv.Log(t) {
		if strings.HasPrefix(line, "grant ") || strings.HasPrefix(line, "session ") {
			out = append(out, line)
		}
	}
	return out
}

var count = apitest.Count

// bobServer is a test server where bob has registered.
func bobServer(t *testing.T) *apitest.Server {
	t.Helper()
	srv := newServer(t, nil)
	apitest.Register(t, srv, "bob")
	return srv
}

// signedIn runs a whole sign-in of bob for rp in a new browser and returns
// the browser, the tokens and the ID token's claims.
func signedIn(t *testing.T, srv *apitest.Server, rp *relyingParty) (*apitest.Client, *oauth2.Token, map[string]any) {
	t.Helper()
	b, a := atSignInPage(t, srv, rp)
	tok, _, claims := rp.exchange(codeFrom(t, b, passwordSignIn(t, b, "bob"), a), a)
	return b, tok, claims
}

// written runs f and returns how many events of each given line it wrote.
func written(t *testing.T, srv *apitest.Server, f func(), lines ...string) []int {
	t.Helper()
	before := grantEvents(t, srv)
	f()
	after := grantEvents(t, srv)
	out := make([]int, len(lines))
	for i, l := range lines {
		out[i] = count(after, l) - count(before, l)
	}
	return out
}
