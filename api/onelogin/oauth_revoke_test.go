package onelogin_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/authtrail/authtrail/api/onelogin"
)

func TestRevokeRefusesTheTokenAndANewOneIsIssued(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	old := *env.token("admin", "admin-secret").AccessToken

	authExpect(t, env.revoke("admin", "admin-secret", old), http.StatusOK, authRevokeSuccess)
	authExpect(t, env.call("/test/manage", "Bearer "+old), http.StatusUnauthorized, authInvalidCredentials)

	fresh := *env.token("admin", "admin-secret").AccessToken
	if fresh == old {
		t.Fatal("the token call returned the revoked token")
	}
	if res := env.call("/test/manage", "Bearer "+fresh); res.status != http.StatusOK {
		t.Fatalf("new token: status %d %s", res.status, res.body)
	}
	// Revoking the old token again changes nothing.
	authExpect(t, env.revoke("admin", "admin-secret", old), http.StatusOK, authRevokeSuccess)
	if res := env.call("/test/manage", "Bearer "+fresh); res.status != http.StatusOK {
		t.Fatalf("new token after a second revoke of the old: status %d %s", res.status, res.body)
	}
	if got := authTypes(env.authEvents("admin")); got != "apiclient.token.issued,apiclient.token.revoked,apiclient.token.issued" {
		t.Fatalf("events %s", got)
	}
}

func TestRevokeWithFormBodyAndPairHeader(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	tok := *env.token("admin", "admin-secret").AccessToken
	form := url.Values{"client_id": {"admin"}, "client_secret": {"admin-secret"}, "access_token": {tok}}
	res := env.post(onelogin.RevokePath, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, form.Encode())
	authExpect(t, res, http.StatusOK, authRevokeSuccess)
	authExpect(t, env.call("/test/manage", "Bearer "+tok), http.StatusUnauthorized, authInvalidCredentials)

	tok = *env.token("admin", "admin-secret").AccessToken
	res = env.post(onelogin.RevokePath, http.Header{"Authorization": {"client_id:admin, client_secret:admin-secret"}},
		`{"access_token":"`+tok+`"}`)
	authExpect(t, res, http.StatusOK, authRevokeSuccess)
	authExpect(t, env.call("/test/manage", "Bearer "+tok), http.StatusUnauthorized, authInvalidCredentials)
}

func TestRevokeForeignOrUnknownTokenIs200AndRevokesNothing(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	adminTok := *env.token("admin", "admin-secret").AccessToken
	readerTok := *env.token("reader", "reader-secret").AccessToken

	for name, tok := range map[string]string{
		"another client's token": readerTok,
		"unknown token":          "0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"tampered own token":     adminTok[:len(adminTok)-2] + "AA",
		"garbage":                "x",
	} {
		t.Run(name, func(t *testing.T) {
			authExpect(t, env.revoke("admin", "admin-secret", tok), http.StatusOK, authRevokeSuccess)
		})
	}
	for _, tok := range []string{adminTok, readerTok} {
		if res := env.call("/test/read", "Bearer "+tok); res.status != http.StatusOK {
			t.Fatalf("token still valid: status %d %s", res.status, res.body)
		}
	}
	for _, id := range []string{"admin", "reader"} {
		if got := authTypes(env.authEvents(id)); got != "apiclient.token.issued" {
			t.Fatalf("%s events %s, want no revoke", id, got)
		}
	}
}

func TestRevokeErrors(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	tok := *env.token("admin", "admin-secret").AccessToken
	authExpect(t, env.revoke("admin", "wrong", tok), http.StatusUnauthorized, authFailureEnvelope)
	authExpect(t, env.post(onelogin.RevokePath, authBasic("admin", "admin-secret"), `{}`), http.StatusBadRequest,
		`{"status":{"error":true,"code":400,"type":"bad request","message":"access_token is absent"}}`)
	if res := env.call("/test/manage", "Bearer "+tok); res.status != http.StatusOK {
		t.Fatalf("token after refused revokes: status %d %s", res.status, res.body)
	}
}
