package oidcprovider_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/eventstore"
	"golang.org/x/oauth2"
)

// Requests the provider cannot trust the redirect_uri of get its error
// page, never a redirect; other refusals go back to the client with the
// error and the state (OIDC Core §3.1.2.6). Each is recorded.
func TestAuthorizationRefusals(t *testing.T) {
	srv := newServer(t, nil)
	base := srv.URL + "/oidc/auth?"
	verifier := oauth2.GenerateVerifier()
	good := url.Values{"client_id": {"app"}, "redirect_uri": {callbackURL}, "response_type": {"code"}, "scope": {"openid"},
		"state": {"st"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	with := func(key, value string) url.Values {
		v := url.Values{}
		for k, vs := range good {
			v[k] = vs
		}
		if value == "" {
			v.Del(key)
		} else {
			v.Set(key, value)
		}
		return v
	}
	pages := map[string]url.Values{
		"unknown client":           with("client_id", "nobody"),
		"unregistered redirect":    with("redirect_uri", "http://localhost:3000/other"),
		"redirect with extra path": with("redirect_uri", callbackURL+"/x"),
	}
	for name, q := range pages {
		t.Run(name, func(t *testing.T) {
			n := written(t, srv, func() {
				status, loc, _ := get(t, browser(t, srv), base+q.Encode())
				if status != http.StatusBadRequest || loc != nil {
					t.Fatalf("%d %v, want the error page", status, loc)
				}
			}, "grant oidc.request.refused", "grant oidc.authorization.requested")
			if n[0] != 1 || n[1] != 0 {
				t.Fatalf("wrote %d refusals and %d accepted requests, want 1 and 0", n[0], n[1])
			}
		})
	}
	redirects := map[string]struct {
		q    url.Values
		want string
	}{
		"response_type token":    {with("response_type", "token"), "unsupported_response_type"},
		"no PKCE, public client": {with("code_challenge", ""), "invalid_request"},
		"plain PKCE":             {with("code_challenge_method", "plain"), "invalid_request"},
		"PKCE without a method":  {with("code_challenge_method", ""), "invalid_request"},
		"no scope":               {with("scope", ""), "invalid_request"},
	}
	for name, c := range redirects {
		t.Run(name, func(t *testing.T) {
			n := written(t, srv, func() {
				status, loc, body := get(t, browser(t, srv), base+c.q.Encode())
				if status != http.StatusFound || loc == nil || !strings.HasPrefix(loc.String(), callbackURL+"?") {
					t.Fatalf("%d %v %s, want a redirect to the client", status, loc, body)
				}
				if loc.Query().Get("error") != c.want || loc.Query().Get("state") != "st" {
					t.Fatalf("redirect %v, want error %s and the state", loc, c.want)
				}
			}, "grant oidc.request.refused", "grant oidc.authorization.requested")
			if n[0] != 1 || n[1] != 0 {
				t.Fatalf("wrote %d refusals and %d accepted requests, want 1 and 0", n[0], n[1])
			}
		})
	}
}

// A code is single-use, lives 60 s and needs its verifier; a second
// exchange revokes the tokens of the first.
func TestCodeRefusals(t *testing.T) {
	srv := bobServer(t)
	rp := newRP(t, srv, "app", "", callbackURL, "openid")

	t.Run("reused", func(t *testing.T) {
		b, a := atSignInPage(t, srv, rp)
		code := codeFrom(t, b, passwordSignIn(t, b, "bob"), a)
		tok, _, _ := rp.exchange(code, a)
		refusedExchange(t, srv, rp, code, a.verifier, "grant oidc.code.reused", "grant oidc.grant.revoked")
		if introspect(t, srv, tok.AccessToken)["active"] != false {
			t.Fatal("the first exchange's access token survived the reuse")
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		b, a := atSignInPage(t, srv, rp)
		code := codeFrom(t, b, passwordSignIn(t, b, "bob"), a)
		refusedExchange(t, srv, rp, code, oauth2.GenerateVerifier())
	})
	t.Run("expired", func(t *testing.T) {
		b, a := atSignInPage(t, srv, rp)
		code := codeFrom(t, b, passwordSignIn(t, b, "bob"), a)
		srv.Clock.Advance(61e9)
		refusedExchange(t, srv, rp, code, a.verifier)
	})
	t.Run("garbage", func(t *testing.T) { refusedExchange(t, srv, rp, "not-a-code", "x") })
}

// refusedExchange exchanges a code that must be refused with invalid_grant,
// writing one refusal and one each of also.
func refusedExchange(t *testing.T, srv *apitest.Server, rp *relyingParty, code, verifier string, also ...string) {
	t.Helper()
	n := written(t, srv, func() {
		if _, err := rp.conf.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); oauthError(err) != "invalid_grant" {
			t.Fatalf("exchange: %v, want invalid_grant", err)
		}
	}, append([]string{"grant oidc.request.refused"}, also...)...)
	for _, got := range n {
		if got != 1 {
			t.Fatalf("wrote %v of %v, want one each", n, append([]string{"grant oidc.request.refused"}, also...))
		}
	}
}

// /oidc/auth/{uid} gives a code only to the browser whose interaction
// answered the request, once it is submitted.
func TestCallbackRefusals(t *testing.T) {
	srv := bobServer(t)
	rp := newRP(t, srv, "app", "", callbackURL, "openid")
	b, a := atSignInPage(t, srv, rp)
	identify(t, b, "bob")
	// Not submitted yet: back to the sign-in page, no code.
	grantID := lastGrant(t, srv)
	callback := srv.URL + "/oidc/auth/" + grantID
	if status, loc, _ := get(t, b, callback); status != http.StatusFound || !strings.HasSuffix(loc.Path, "/sign-in") {
		t.Fatalf("unsubmitted: %d %v, want the sign-in page", status, loc)
	}
	redirectTo := b.Expect(http.MethodPost, "/submit", nil, http.StatusOK)["redirectTo"].(string)
	if redirectTo != callback {
		t.Fatalf("redirectTo %q, want %q", redirectTo, callback)
	}
	// Another browser: an error page.
	if status, loc, _ := get(t, browser(t, srv), callback); status != http.StatusBadRequest || loc != nil {
		t.Fatalf("foreign browser: %d %v, want the error page", status, loc)
	}
	codeFrom(t, b, callback, a)
	// Answered already: an error page.
	if status, loc, _ := get(t, b, callback); status != http.StatusBadRequest || loc != nil {
		t.Fatalf("second visit: %d %v, want the error page", status, loc)
	}
	if status, _, _ := get(t, b, srv.URL+"/oidc/auth/nosuchrequest"); status != http.StatusBadRequest {
		t.Fatalf("unknown request: %d", status)
	}
	if n := count(grantEvents(t, srv), "grant oidc.request.refused"); n != 4 {
		t.Fatalf("%d refusals recorded, want 4", n)
	}
}

// lastGrant is the id of the grant recorded last.
func lastGrant(t *testing.T, srv *apitest.Server) string {
	t.Helper()
	var id string
	err := srv.Store.Scan(t.Context(), func(env eventstore.Envelope) error {
		if env.Type == "oidc.authorization.requested" {
			id = env.AggID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
