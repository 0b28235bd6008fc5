package onelogin_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/onelogin"
)

func TestTokenClientAuthenticationForms(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	odd := authClients[2]
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {odd.ID}, "client_secret": {odd.Secret}}
	cases := []struct {
		name   string
		header http.Header
		body   string
	}{
		{"curl pair header, JSON grant", http.Header{
			"Authorization": {"client_id:" + odd.ID + ", client_secret:" + odd.Secret},
			"Content-Type":  {"application/json"}}, authGrantJSON},
		{"HTTP Basic as the SDKs send it", authBasic(odd.ID, odd.Secret), authGrantJSON},
		{"HTTP Basic, form grant", http.Header{
			"Authorization": authBasic(odd.ID, odd.Secret)["Authorization"],
			"Content-Type":  {"application/x-www-form-urlencoded"}}, "grant_type=client_credentials"},
		{"form body credentials", http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}, form.Encode()},
		{"JSON without content type", http.Header{"Authorization": authBasic(odd.ID, odd.Secret)["Authorization"]}, authGrantJSON},
	}
	var first string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := env.post(onelogin.TokenPath, c.header, c.body)
			tok := authDecodeToken(t, res)
			if *tok.ExpiresIn != 36000 {
				t.Errorf("expires_in %d, want 36000", *tok.ExpiresIn)
			}
			if *tok.CreatedAt != "2026-11-23T10:00:00.123Z" {
				t.Errorf("created_at %q, want 2026-11-23T10:00:00.123Z", *tok.CreatedAt)
			}
			for k, want := range map[string]string{
				"Cache-Control": "no-cache, must-revalidate, no-store", "X-Content-Type-Options": "nosniff",
			} {
				if got := res.header.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			if first == "" {
				first = *tok.AccessToken
			} else if *tok.AccessToken != first {
				t.Errorf("another form got token %q, want the same %q", *tok.AccessToken, first)
			}
		})
	}
}

func TestTokenRepeatedCallsReturnTheSameToken(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	a := env.token("admin", "admin-secret")
	env.clock.Advance(time.Hour)
	b := env.token("admin", "admin-secret")
	if *b.AccessToken != *a.AccessToken || *b.CreatedAt != *a.CreatedAt {
		t.Fatalf("second call: token %q created %q, want %q created %q", *b.AccessToken, *b.CreatedAt, *a.AccessToken, *a.CreatedAt)
	}
	if *b.ExpiresIn != 36000-3600 {
		t.Fatalf("second call: expires_in %d, want the remaining 32400", *b.ExpiresIn)
	}
	other := env.token("reader", "reader-secret")
	if *other.AccessToken == *a.AccessToken {
		t.Fatal("two clients share a token")
	}
	if got := authTypes(env.authEvents("admin")); got != "apiclient.token.issued" {
		t.Fatalf("events %s, want one issue", got)
	}
}

func TestTokenConcurrentRequestsEndWithOneToken(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	const n = 12
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res := env.post(onelogin.TokenPath, authBasic("admin", "admin-secret"), authGrantJSON)
			if res.status == http.StatusOK {
				tokens[i] = *authDecodeToken(t, res).AccessToken
			} else {
				t.Errorf("request %d: status %d body %s", i, res.status, res.body)
			}
		})
	}
	wg.Wait()
	for i, tok := range tokens {
		if tok != tokens[0] {
			t.Fatalf("request %d got %q, request 0 got %q", i, tok, tokens[0])
		}
	}
	if got := authTypes(env.authEvents("admin")); got != "apiclient.token.issued" {
		t.Fatalf("events %s, want exactly one issue", got)
	}
}

func TestTokenBadCredentialsAre401Envelope(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	cases := map[string]http.Header{
		"wrong secret":     authBasic("admin", "nope"),
		"unknown client":   authBasic("ghost", "admin-secret"),
		"pair, bad secret": {"Authorization": {"client_id:admin, client_secret:nope"}},
		"no credentials":   {"Content-Type": {"application/json"}},
		"bearer scheme":    {"Authorization": {"Bearer admin-secret"}},
		"basic not base64": {"Authorization": {"Basic %%%"}},
		"basic no colon":   {"Authorization": {"Basic YWRtaW4="}},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			authExpect(t, env.post(onelogin.TokenPath, h, authGrantJSON), http.StatusUnauthorized, authFailureEnvelope)
		})
	}
	// Form credentials with a wrong secret, too.
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"admin"}, "client_secret": {"x"}}
	authExpect(t, env.post(onelogin.TokenPath, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, form.Encode()),
		http.StatusUnauthorized, authFailureEnvelope)
	if envs := env.authEvents("admin"); len(envs) != 0 {
		t.Fatalf("a refused call wrote %s", authTypes(envs))
	}
}

func TestTokenBadGrantIs400(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	want := `{"status":{"error":true,"code":400,"type":"bad request","message":"grant_type is incorrect/absent"}}`
	for name, body := range map[string]string{
		"password grant": `{"grant_type":"password"}`,
		"absent":         `{}`,
		"empty body":     ``,
		"not a string":   `{"grant_type":1}`,
		"not JSON":       `{"grant_type":`,
	} {
		t.Run(name, func(t *testing.T) {
			authExpect(t, env.post(onelogin.TokenPath, authBasic("admin", "admin-secret"), body), http.StatusBadRequest, want)
		})
	}
}

func TestTokenEndpointOtherMethodIs404(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	res := env.send(http.MethodGet, onelogin.TokenPath, nil, "")
	authExpect(t, res, http.StatusNotFound, `{"status":{"error":true,"code":404,"type":"not found","message":"No Route Exists"}}`)
}

func TestTokenExpiresAfterTenHours(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	old := *env.token("admin", "admin-secret").AccessToken
	env.clock.Advance(10*time.Hour - time.Second)
	if res := env.call("/test/manage", "Bearer "+old); res.status != http.StatusOK {
		t.Fatalf("one second before expiry: status %d %s", res.status, res.body)
	}
	if tok := env.token("admin", "admin-secret"); *tok.AccessToken != old || *tok.ExpiresIn != 1 {
		t.Fatalf("one second before expiry: token %q expires_in %d, want the same token and 1", *tok.AccessToken, *tok.ExpiresIn)
	}
	env.clock.Advance(time.Second)
	authExpect(t, env.call("/test/manage", "Bearer "+old), http.StatusUnauthorized, authInvalidCredentials)
	fresh := env.token("admin", "admin-secret")
	if *fresh.AccessToken == old || *fresh.ExpiresIn != 36000 {
		t.Fatalf("after expiry: token %q expires_in %d, want a new token for 36000", *fresh.AccessToken, *fresh.ExpiresIn)
	}
	if res := env.call("/test/manage", "Bearer "+*fresh.AccessToken); res.status != http.StatusOK {
		t.Fatalf("new token: status %d %s", res.status, res.body)
	}
}

// A credential whose configured scope changed gets a new token: the old
// one carries the old scope.
func TestTokenScopeChangeNeedsNewToken(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	old := *env.token("reader", "reader-secret").AccessToken
	upgraded := []onelogin.Client{{ID: "reader", Secret: "reader-secret", Scope: onelogin.ScopeManageAll}}
	env2 := newAuthEnvOn(t, env.store, env.clock, upgraded, onelogin.AuthOptions{})
	authExpect(t, env2.call("/test/manage", "Bearer "+old), http.StatusUnauthorized, authInvalidCredentials)
	fresh := *env2.token("reader", "reader-secret").AccessToken
	if fresh == old {
		t.Fatal("same token after a scope change")
	}
	if res := env2.call("/test/manage", "Bearer "+fresh); res.status != http.StatusOK {
		t.Fatalf("new token: status %d %s", res.status, res.body)
	}
}
