package oidcprovider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/oidcprovider"
	"github.com/coreos/go-oidc/v3/oidc"

	"golang.org/x/oauth2"
)

func refresh(rp *relyingParty, refreshToken string) (*oauth2.Token, error) {
	return rp.conf.TokenSource(context.Background(), &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}).Token()
}

// Refresh tokens rotate; a spent one presented again revokes the grant:
// the newest refresh token and the access tokens stop working too.
func TestRefreshRotationAndReuse(t *testing.T) {
	srv := bobServer(t)
	rp := newRP(t, srv, "app", "", callbackURL, "openid", "offline_access")
	_, first, _ := signedIn(t, srv, rp)
	if first.RefreshToken == "" {
		t.Fatal("no refresh token for offline_access")
	}
	second, err := refresh(rp, first.RefreshToken)
	if err != nil || second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Fatalf("rotation: %v %v", second, err)
	}
	if introspect(t, srv, second.AccessToken)["active"] != true {
		t.Fatal("the rotated access token is not active")
	}
	if _, err := refresh(rp, first.RefreshToken); oauthError(err) != "invalid_grant" {
		t.Fatalf("reuse: %v, want invalid_grant", err)
	}
	if _, err := refresh(rp, second.RefreshToken); oauthError(err) != "invalid_grant" {
		t.Fatalf("after reuse, the newest refresh token: %v, want invalid_grant", err)
	}
	if introspect(t, srv, second.AccessToken)["active"] != false {
		t.Fatal("after reuse, an access token of the grant is still active")
	}
	events := grantEvents(t, srv)
	for want, n := range map[string]int{"grant oidc.refresh.rotated": 1, "grant oidc.refresh.reused": 1, "grant oidc.grant.revoked": 1, "grant oidc.request.refused": 2} {
		if got := count(events, want); got != n {
			t.Errorf("%s written %d times, want %d: %v", want, got, n, events)
		}
	}
}

// Revocation (RFC 7009) and introspection (RFC 7662).
func TestRevocationAndIntrospection(t *testing.T) {
	srv := bobServer(t)
	rp := newRP(t, srv, "web", "web-secret", "http://localhost:4000/cb", "openid", "profile", "offline_access")
	_, tok, _ := signedIn(t, srv, rp)
	got := introspect(t, srv, tok.AccessToken)
	if got["active"] != true || got["sub"] != "1" || got["client_id"] != "web" || got["username"] != "bob" {
		t.Fatalf("introspection %v", got)
	}
	revoke := func(token, hint string) int {
		resp := asWeb(t, srv, "/oidc/token/revocation", url.Values{"token": {token}, "token_type_hint": {hint}})
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := revoke(tok.AccessToken, "access_token"); s != http.StatusOK {
		t.Fatalf("revoke access token: %d", s)
	}
	if introspect(t, srv, tok.AccessToken)["active"] != false {
		t.Fatal("a revoked access token is active")
	}
	if s := revoke(tok.RefreshToken, "refresh_token"); s != http.StatusOK {
		t.Fatalf("revoke refresh token: %d", s)
	}
	if _, err := refresh(rp, tok.RefreshToken); oauthError(err) != "invalid_grant" {
		t.Fatalf("a revoked refresh token: %v", err)
	}
	if s := revoke("garbage", ""); s != http.StatusOK {
		t.Fatalf("revoke an unknown token: %d, want 200", s)
	}
	if n := count(grantEvents(t, srv), "grant oidc.token.revoked"); n != 2 {
		t.Fatalf("%d revocations recorded, want 2", n)
	}
}

// An authorization naming a configured resource (RFC 8707) gets a JWT
// access token for it (RFC 9068), verified against the JWKS; its ID token
// stays the client's; an unknown resource answers invalid_target.
func TestResourceAccessTokens(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{
		Clock: apitest.NewClock(time.Now().UTC().Truncate(time.Second)),
		OIDC:  &oidcprovider.Config{Clients: testClients, Resources: []string{"https://api.example.com"}},
	})
	apitest.Register(t, srv, "bob")
	rp := newRP(t, srv, "app", "", callbackURL, "openid", "offline_access")
	b, a := atSignInPage(t, srv, rp, oauth2.SetAuthURLParam("resource", "https://api.example.com"))
	tok, idt, _ := rp.exchange(codeFrom(t, b, passwordSignIn(t, b, "bob"), a), a)
	if !slices.Equal(idt.Audience, []string{"app"}) {
		t.Fatalf("ID token audience %v, want [app]", idt.Audience)
	}
	checkAccessJWT := func(token string) {
		t.Helper()
		keys := oidc.NewRemoteKeySet(t.Context(), srv.URL+"/oidc/jwks")
		payload, err := keys.VerifySignature(t.Context(), token)
		if err != nil {
			t.Fatalf("access token is not a JWT of the provider: %v", err)
		}
		var claims struct {
			Aud      []string `json:"aud"`
			Sub      string   `json:"sub"`
			ClientID string   `json:"client_id"`
			Scope    string   `json:"scope"`
		}
		_ = json.Unmarshal(payload, &claims)
		if !slices.Equal(claims.Aud, []string{"https://api.example.com"}) || claims.Sub != "1" || claims.ClientID != "app" || claims.Scope == "" {
			t.Fatalf("access token claims %+v", claims)
		}
		if introspect(t, srv, token)["active"] != true {
			t.Fatal("the JWT access token is not active at introspection")
		}
	}
	checkAccessJWT(tok.AccessToken)
	rotated, err := refresh(rp, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	checkAccessJWT(rotated.AccessToken)

	// Without a resource the access token is opaque.
	_, plain, _ := signedIn(t, srv, rp)
	if strings.Count(plain.AccessToken, ".") == 2 {
		if _, err := oidc.NewRemoteKeySet(t.Context(), srv.URL+"/oidc/jwks").VerifySignature(t.Context(), plain.AccessToken); err == nil {
			t.Fatal("an access token without a resource is a JWT")
		}
	}
	status, loc, _ := get(t, browser(t, srv), rp.authURL(newAuthorization(), oauth2.SetAuthURLParam("resource", "https://other.example.com")))
	if status != http.StatusFound || loc.Query().Get("error") != "invalid_target" {
		t.Fatalf("unknown resource: %d %v, want invalid_target", status, loc)
	}
}

// Concurrent exchanges of one code: one gets tokens, the others
// invalid_grant, and the reuse revokes the grant (the winner's tokens too);
// concurrent refreshes of one refresh token likewise.
func TestConcurrentSpendsOfOneCodeOrRefreshToken(t *testing.T) {
	srv := bobServer(t)
	rp := newRP(t, srv, "app", "", callbackURL, "openid", "offline_access")
	race := func(n int, spend func() (*oauth2.Token, error)) (won []*oauth2.Token, lost int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tok, err := spend()
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won = append(won, tok)
				case oauthError(err) == "invalid_grant":
					lost++
				default:
					t.Errorf("spend: %v", err)
				}
			}()
		}
		wg.Wait()
		return won, lost
	}
	b, a := atSignInPage(t, srv, rp)
	code := codeFrom(t, b, passwordSignIn(t, b, "bob"), a)
	won, lost := race(4, func() (*oauth2.Token, error) {
		return rp.conf.Exchange(context.Background(), code, oauth2.VerifierOption(a.verifier))
	})
	if len(won) != 1 || lost != 3 {
		t.Fatalf("code: %d exchanges won, %d lost; want 1 and 3", len(won), lost)
	}
	if introspect(t, srv, won[0].AccessToken)["active"] != false {
		t.Fatal("the reuse left the winner's access token active")
	}

	_, tok, _ := signedIn(t, srv, rp)
	won, lost = race(4, func() (*oauth2.Token, error) { return refresh(rp, tok.RefreshToken) })
	if len(won) != 1 || lost != 3 {
		t.Fatalf("refresh: %d rotations won, %d lost; want 1 and 3", len(won), lost)
	}
	if _, err := refresh(rp, won[0].RefreshToken); oauthError(err) != "invalid_grant" {
		t.Fatalf("after the reuse, the winner's refresh token: %v, want invalid_grant", err)
	}
	events := grantEvents(t, srv)
	if count(events, "grant oidc.code.exchanged") != 1+1 || count(events, "grant oidc.refresh.rotated") != 1 {
		t.Fatalf("events %v", events)
	}
}
