package onelogin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/eventstore/natstest"
)

func TestRequireAcceptsEveryBearerForm(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	tok := *env.token("admin", "admin-secret").AccessToken
	for _, h := range []string{
		"Bearer " + tok, "bearer " + tok, "BEARER " + tok, "bearer:" + tok, "bearer: " + tok,
		"Bearer:" + tok, "Bearer : " + tok, "  bearer   " + tok + "  ",
	} {
		res := env.call("/test/manage", h)
		authExpect(t, res, http.StatusOK, `{"ok":true,"id":"admin","scope":"manage_all","secret":""}`)
	}
}

func TestRequireRefusesBadTokens(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	tok := *env.token("admin", "admin-secret").AccessToken
	short, mac, _ := strings.Cut(tok, ".")
	flipped := []byte(mac)
	flipped[0] ^= 1
	for name, h := range map[string]string{
		"no header":             "",
		"bare token":            tok,
		"basic scheme":          "Basic " + tok,
		"bearer without token":  "Bearer",
		"two tokens":            "Bearer " + tok + " " + tok,
		"tampered mac":          "Bearer " + short + "." + string(flipped),
		"unknown client prefix": "Bearer 0123456789abcdef." + mac,
		"no prefix":             "Bearer " + mac,
		"client secret":         "Bearer admin-secret",
	} {
		t.Run(name, func(t *testing.T) {
			res := env.call("/test/manage", h)
			authExpect(t, res, http.StatusUnauthorized, authInvalidCredentials)
			if res.header.Get("X-RateLimit-Limit") != "" {
				t.Error("an unauthenticated response carries rate-limit headers")
			}
		})
	}
}

func TestRequireWrongScopeIsInsufficientPermission(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	tok := *env.token("reader", "reader-secret").AccessToken
	res := env.call("/test/manage", "Bearer "+tok)
	authExpect(t, res, http.StatusUnauthorized, authInsufficient)
	if res.header.Get("X-RateLimit-Remaining") == "" {
		t.Error("an authenticated refusal lacks the rate-limit headers")
	}
	authExpect(t, env.call("/test/read", "Bearer "+tok), http.StatusOK,
		`{"ok":true,"id":"reader","scope":"read_users","secret":""}`)
}

// Another process (its own connection, store and Auth) finds tokens issued
// here, and sees their revocation.
func TestRequireFindsTokensOfAnotherProcess(t *testing.T) {
	ns := natstest.RunBasicJetStreamServer(t)
	clock := apitest.NewClock(authStart)
	one := newAuthEnvOn(t, natstest.OpenStore(t, natstest.NewConn(t, ns), apitest.StoreConfig()), clock, authClients, onelogin.AuthOptions{})
	two := newAuthEnvOn(t, natstest.OpenStore(t, natstest.NewConn(t, ns), apitest.StoreConfig()), clock, authClients, onelogin.AuthOptions{})

	tok := *one.token("admin", "admin-secret").AccessToken
	if res := two.call("/test/manage", "Bearer "+tok); res.status != http.StatusOK {
		t.Fatalf("other process: status %d %s", res.status, res.body)
	}
	if again := *two.token("admin", "admin-secret").AccessToken; again != tok {
		t.Fatalf("other process issued %q, want the live %q", again, tok)
	}
	authExpect(t, two.revoke("admin", "admin-secret", tok), http.StatusOK, authRevokeSuccess)
	authExpect(t, one.call("/test/manage", "Bearer "+tok), http.StatusUnauthorized, authInvalidCredentials)
}
