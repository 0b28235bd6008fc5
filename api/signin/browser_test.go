package signin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/experience/enterprisesso"
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/api/oidcprovider"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/totp"
	"github.com/authtrail/authtrail/workers/connectors/oidc/oidctest"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/oauth2"
)

// chromium finds Debian's Chromium; CI installs it (.ci/run), so there a
// missing browser fails the test rather than skipping it.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium on this machine (apt-get install -y chromium)")
	}
	t.Skip("no Chromium on this machine (apt-get install -y chromium)")
	return ""
}

// browser is a headless Chromium, closed when the test ends.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil { // starts the browser, on a context without a deadline
		t.Fatalf("start Chromium: %v", err)
	}
	steps, cancelSteps := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelSteps(); cancel(); cancelAlloc() })
	return steps
}

// app is an application: its callback receives the code, its client
// exchanges it and verifies the ID token.
type app struct {
	callback *httptest.Server
	codes    chan string
	prompt   string // the authorization requests' prompt, if any
	conf     oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newApp(t *testing.T) *app {
	a := &app{codes: make(chan string, 4)}
	a.callback = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/callback" {
			a.codes <- r.URL.Query().Get("code")
			_, _ = w.Write([]byte("<!doctype html><title>App</title><p id=landed>Signed in</p>"))
		}
	}))
	t.Cleanup(a.callback.Close)
	return a
}

func (a *app) client() oidcprovider.ClientConfig {
	return oidcprovider.ClientConfig{ID: "demo", Type: oidcprovider.TypeSPA, RedirectURIs: []string{a.callback.URL + "/callback"},
		Scopes: []string{"openid", "profile"}}
}

func (a *app) connect(t *testing.T, srv *apitest.Server) {
	provider, err := oidc.NewProvider(context.Background(), srv.URL+"/oidc")
	if err != nil {
		t.Fatal(err)
	}
	a.conf = oauth2.Config{ClientID: "demo", Endpoint: provider.Endpoint(), RedirectURL: a.callback.URL + "/callback", Scopes: []string{"openid", "profile"}}
	a.verifier = provider.Verifier(&oidc.Config{ClientID: "demo"})
}

// signIn opens the authorization request in the browser, runs steps on
// the sign-in page, and returns the ID token's amr once the browser has
// landed on the callback and the code was exchanged.
func (a *app) signIn(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) []string {
	t.Helper()
	verifier, state := oauth2.GenerateVerifier(), "st"+oauth2.GenerateVerifier()[:8]
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if a.prompt != "" {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", a.prompt))
	}
	url := a.conf.AuthCodeURL(state, opts...)
	run := append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("identifier"))}, steps...)
	run = append(run, chromedp.WaitVisible(chromedp.ID("landed")))
	stepsCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(stepsCtx, run...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("browser: %v; at %s: %s", err, loc, text)
	}
	code := <-a.codes
	tok, err := a.conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idt, err := a.verifier.Verify(context.Background(), tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		AMR []string `json:"amr"`
	}
	_ = idt.Claims(&claims)
	return claims.AMR
}

// typeInto types into a field with the keyboard; "\r" submits its form.
func typeInto(id, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.WaitVisible(chromedp.ID(id)), chromedp.SendKeys(chromedp.ID(id), text))
}

// press clicks a button.
func press(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.WaitVisible(chromedp.ID(id)), chromedp.Click(chromedp.ID(id)))
}

// The demo client's sign-in on the built-in page: a password, then a
// TOTP, all typed with the keyboard, lands on the client's callback with
// a code that exchanges for tokens.
func TestPasswordAndTOTPInChromium(t *testing.T) {
	a := newApp(t)
	srv := apitest.NewServer(t, apitest.Options{Settings: apitest.ScriptSettings(),
		Clock: apitest.NewClock(time.Now().UTC().Truncate(time.Second)), OIDC: &oidcprovider.Config{Clients: []oidcprovider.ClientConfig{a.client()}}})
	u := apitest.RegisterMFAUser(t, srv)
	a.connect(t, srv)
	code, _ := totp.Code(u.TotpSecret, srv.Clock.Now())
	amr := a.signIn(t, browser(t),
		typeInto("identifier", "alice"), typeInto("password", apitest.ScriptPassword+"\r"),
		press("mfa-totp"), typeInto("totp-input", code+"\r"))
	if !slices.Equal(amr, []string{"pwd", "otp"}) {
		t.Fatalf("amr %v, want [pwd otp]", amr)
	}
}

// A second run binds a WebAuthn credential through Chromium's virtual
// authenticator at the MFA prompt, then signs in with it.
func TestWebAuthnInChromium(t *testing.T) {
	a := newApp(t)
	sie := settings.Default()
	sie.MFA = settings.MFA{Factors: []string{"WebAuthn"}, Policy: "PromptOnlyAtSignIn"}
	srv := apitest.NewServer(t, apitest.Options{Settings: &sie,
		Clock: apitest.NewClock(time.Now().UTC().Truncate(time.Second)), OIDC: &oidcprovider.Config{Clients: []oidcprovider.ClientConfig{a.client()}}})
	apitest.Register(t, srv, "bob")
	a.connect(t, srv)
	ctx := browser(t)
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn domain: %v", err)
	}
	_, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}})
	if err != nil {
		t.Fatalf("virtual authenticator: %v", err)
	}
	password := []chromedp.Action[chromedp.Void]{typeInto("identifier", "bob"), typeInto("password", apitest.ScriptPassword+"\r")}
	amr := a.signIn(t, ctx, append(password, press("bind-webauthn"))...)
	if !slices.Equal(amr, []string{"pwd"}) {
		t.Fatalf("binding sign-in: amr %v, want [pwd]", amr)
	}
	// Sign in again on the page: the browser's session would answer
	// without it, unless the client asks for a new sign-in.
	a.prompt = "login"
	amr = a.signIn(t, ctx, append(password, press("mfa-webauthn"))...)
	if !slices.Equal(amr, []string{"pwd", "hwk"}) {
		t.Fatalf("WebAuthn sign-in: amr %v, want [pwd hwk]", amr)
	}
}

// The page's social button and SSO by email domain, in Chromium against a
// real OpenID provider on loopback: a first sign-in of each registers the
// user, and the ID token says the sign-in was federated.
func TestSocialAndSSOInChromium(t *testing.T) {
	a := newApp(t)
	idp := oidctest.Start(t)
	sie := settings.Default()
	sie.SocialSignIn.SkipRequiredIdentifiers = true
	sie.SocialSignInConnectorTargets = []string{"google"}
	sie.SingleSignOnEnabled = true
	srv := apitest.NewServer(t, apitest.Options{Settings: &sie,
		Clock: apitest.NewClock(time.Now().UTC().Truncate(time.Second)), OIDC: &oidcprovider.Config{Clients: []oidcprovider.ClientConfig{a.client()}},
		SocialConnectors: []federated.Connector{{ID: "google", Target: "google", Provider: idp.Client()}},
		SSOConnectors: []enterprisesso.Connector{{Connector: federated.Connector{ID: "acme", Provider: idp.Client()},
			Name: "Acme", Domains: []string{"acme.com"}}}})
	a.connect(t, srv)
	ctx := browser(t)

	idp.QueueUser(&mockoidc.MockUser{Subject: "g-1", Email: "gina@example.com", EmailVerified: true})
	if amr := a.signIn(t, ctx, press("social-google")); !slices.Equal(amr, []string{"fed"}) {
		t.Fatalf("social sign-in: amr %v, want [fed]", amr)
	}
	if u := srv.UserByEmail(t, "gina@example.com"); len(u.Identities) != 1 || u.Identities[0].Target != "google" {
		t.Fatalf("user %+v, want gina with her google identity", u)
	}

	a.prompt = "login"
	idp.QueueUser(&mockoidc.MockUser{Subject: "a-1", Email: "sam@acme.com", EmailVerified: true})
	if amr := a.signIn(t, ctx, typeInto("identifier", "sam@acme.com\r")); !slices.Equal(amr, []string{"fed"}) {
		t.Fatalf("SSO sign-in: amr %v, want [fed]", amr)
	}
	if u := srv.UserByEmail(t, "sam@acme.com"); len(u.Identities) != 1 || u.Identities[0].ConnectorID != "acme" {
		t.Fatalf("user %+v, want sam with the acme identity", u)
	}
}
