package oidcprovider_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
)

// A password sign-in through the whole flow: /oidc/auth, the sign-in
// page's API calls, the return to the provider, the code, the tokens; the
// ID token verified by coreos/go-oidc against the JWKS.
func TestPasswordSignIn(t *testing.T) {
	srv := bobServer(t)
	rp := newRP(t, srv, "app", "", callbackURL, "openid", "profile")
	b, a := atSignInPage(t, srv, rp)
	redirectTo := passwordSignIn(t, b, "bob")
	if !strings.HasPrefix(redirectTo, srv.URL+"/oidc/auth/") {
		t.Fatalf("submit redirectTo %q, want the provider's /oidc/auth/{uid}", redirectTo)
	}
	tok, idt, claims := rp.exchange(codeFrom(t, b, redirectTo, a), a)
	if idt.Subject != "1" || !slices.Equal(anyStrings(claims["amr"]), []string{"pwd"}) || claims["sid"] == "" || claims["auth_time"] == nil {
		t.Fatalf("ID token claims %v", claims)
	}
	info, err := rp.provider.UserInfo(t.Context(), rp.conf.TokenSource(t.Context(), tok))
	if err != nil {
		t.Fatal(err)
	}
	var profile map[string]any
	_ = info.Claims(&profile)
	if profile["username"] != "bob" || info.Subject != "1" {
		t.Fatalf("userinfo %v", profile)
	}
	events := grantEvents(t, srv)
	for _, want := range []string{"grant oidc.authorization.requested", "grant oidc.code.issued",
		"grant oidc.code.exchanged", "session session.started"} {
		if count(events, want) != 1 {
			t.Errorf("%q written %d times, want once: %v", want, count(events, want), events)
		}
	}
}

// Registration on the sign-in page of an authorization request: the page
// switches the interaction to Register, and the new user gets tokens.
func TestRegistration(t *testing.T) {
	srv := newServer(t, nil)
	rp := newRP(t, srv, "app", "", callbackURL, "openid")
	b, a := atSignInPage(t, srv, rp)
	b.Expect(http.MethodPut, "/interaction-event", map[string]any{"interactionEvent": "Register"}, http.StatusNoContent)
	vid := b.Expect(http.MethodPost, "/verification/new-password-identity", map[string]any{
		"identifier": map[string]string{"type": "username", "value": "carol"}, "password": apitest.ScriptPassword,
	}, http.StatusOK)["verificationId"]
	b.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusCreated)
	redirectTo := b.Expect(http.MethodPost, "/submit", nil, http.StatusOK)["redirectTo"].(string)
	_, idt, claims := rp.exchange(codeFrom(t, b, redirectTo, a), a)
	if idt.Subject != "1" || !slices.Equal(anyStrings(claims["amr"]), []string{"pwd"}) {
		t.Fatalf("claims %v", claims)
	}
}

// A restart of the interaction on the page (PUT /api/experience, as any
// Logto page does first) keeps its authorization request.
func TestPageRestartKeepsTheRequest(t *testing.T) {
	srv := bobServer(t)
	rp := newRP(t, srv, "app", "", callbackURL, "openid")
	b, a := atSignInPage(t, srv, rp)
	b.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	rp.exchange(codeFrom(t, b, passwordSignIn(t, b, "bob"), a), a)
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
