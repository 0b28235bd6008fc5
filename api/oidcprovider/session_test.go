package oidcprovider_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/totp"
	"golang.org/x/oauth2"
)

// A sign-in with a password and a TOTP: amr lists both.
func TestTOTPSignInAMR(t *testing.T) {
	srv := newServer(t, apitest.ScriptSettings())
	u := apitest.RegisterMFAUser(t, srv)
	rp := newRP(t, srv, "app", "", callbackURL, "openid")
	b, a := atSignInPage(t, srv, rp)
	identify(t, b, "alice")
	b.Expect(http.MethodPost, "/submit", nil, http.StatusForbidden)
	code, _ := totp.Code(u.TotpSecret, srv.Clock.Now())
	b.Expect(http.MethodPost, "/verification/totp/verify", map[string]any{"code": code}, http.StatusOK)
	redirectTo := b.Expect(http.MethodPost, "/submit", nil, http.StatusOK)["redirectTo"].(string)
	_, _, claims := rp.exchange(codeFrom(t, b, redirectTo, a), a)
	if amr := anyStrings(claims["amr"]); !slices.Equal(amr, []string{"pwd", "otp"}) {
		t.Fatalf("amr %v, want [pwd otp]", amr)
	}
}

// A second client of the same browser is answered by the session, with
// the same sid and no sign-in page; prompt=login asks again.
func TestSessionReuseBySecondClient(t *testing.T) {
	srv := bobServer(t)
	b, _, first := signedIn(t, srv, newRP(t, srv, "app", "", callbackURL, "openid"))

	web := newRP(t, srv, "web", "web-secret", "http://localhost:4000/cb", "openid")
	a2 := newAuthorization()
	status, loc, body := get(t, b, web.authURL(a2))
	if status != http.StatusFound || loc.Host != "localhost:4000" {
		t.Fatalf("second client: %d %v %s, want its callback at once", status, loc, body)
	}
	_, idt, second := web.exchange(callbackCode(t, loc, a2), a2)
	if idt.Subject != "1" || second["sid"] != first["sid"] || second["auth_time"] != first["auth_time"] {
		t.Fatalf("second client's claims %v, first %v", second, first)
	}
	signInPage(t, b, web, newAuthorization(), oauth2.SetAuthURLParam("prompt", "login"))
}

// prompt=none: without a session, login_required back to the client; with
// one, a code.
func TestPromptNone(t *testing.T) {
	srv := bobServer(t)
	rp := newRP(t, srv, "app", "", callbackURL, "openid")
	b := browser(t, srv)
	a := newAuthorization()
	status, loc, _ := get(t, b, rp.authURL(a, oauth2.SetAuthURLParam("prompt", "none")))
	if status != http.StatusFound || loc.Query().Get("error") != "login_required" || loc.Query().Get("state") != a.state {
		t.Fatalf("prompt=none without a session: %d %v", status, loc)
	}
	signInPage(t, b, rp, a)
	rp.exchange(codeFrom(t, b, passwordSignIn(t, b, "bob"), a), a)
	a2 := newAuthorization()
	_, loc, _ = get(t, b, rp.authURL(a2, oauth2.SetAuthURLParam("prompt", "none")))
	rp.exchange(callbackCode(t, loc, a2), a2)
	if n := count(grantEvents(t, srv), "grant oidc.request.refused"); n != 1 {
		t.Fatalf("%d refusals recorded, want 1", n)
	}
}

// max_age: a sign-in older than it sends the browser to the sign-in page.
func TestMaxAge(t *testing.T) {
	srv := bobServer(t)
	rp := newRP(t, srv, "app", "", callbackURL, "openid")
	b, _, _ := signedIn(t, srv, rp)
	srv.Clock.Advance(2 * time.Minute)
	a2 := newAuthorization()
	_, loc, _ := get(t, b, rp.authURL(a2, oauth2.SetAuthURLParam("max_age", "600")))
	callbackCode(t, loc, a2)
	signInPage(t, b, rp, newAuthorization(), oauth2.SetAuthURLParam("max_age", "60"))
}

// Logout ends the session, returns to a registered URI with the state,
// and refuses an unregistered one.
func TestLogout(t *testing.T) {
	srv := bobServer(t)
	rp := newRP(t, srv, "app", "", callbackURL, "openid")
	b, tok, _ := signedIn(t, srv, rp)
	hint := tok.Extra("id_token").(string)

	bad := srv.URL + "/oidc/session/end?" + url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://evil.example/"}}.Encode()
	if n := written(t, srv, func() {
		if status, loc, _ := get(t, b, bad); status != http.StatusBadRequest || loc != nil {
			t.Fatalf("unregistered post_logout_redirect_uri: %d %v, want 400", status, loc)
		}
	}, "grant oidc.request.refused", "session session.ended"); n[0] != 1 || n[1] != 0 {
		t.Fatalf("refused logout wrote %v refusals and endings, want 1 and 0", n)
	}
	end := srv.URL + "/oidc/session/end?" + url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"http://localhost:3000/"}, "state": {"s1"}}.Encode()
	status, loc, _ := get(t, b, end)
	if status != http.StatusFound || loc.String() != "http://localhost:3000/?state=s1" {
		t.Fatalf("logout: %d %v", status, loc)
	}
	a2 := newAuthorization()
	_, loc, _ = get(t, b, rp.authURL(a2, oauth2.SetAuthURLParam("prompt", "none")))
	if loc.Query().Get("error") != "login_required" {
		t.Fatalf("after logout, prompt=none: %v", loc)
	}
	events := grantEvents(t, srv)
	if count(events, "session session.ended") != 1 {
		t.Fatalf("events %v", events)
	}
}
