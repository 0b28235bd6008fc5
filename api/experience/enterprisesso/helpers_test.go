package enterprisesso_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/experience/enterprisesso"
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers/connectors/oidc/oidctest"
)

// redirectURI is the application's page the IdP (or the assertion
// consumer service) sends the browser back to.
const redirectURI = "http://localhost:3000/callback/sso"

const (
	evStarted    = "interaction.sso.authorization_started"
	evResponse   = "interaction.sso.response_received"
	evCallback   = "interaction.sso.callback_received"
	evExchange   = "interaction.sso.exchange_started"
	evVerified   = "interaction.sso.verified"
	evFailed     = "interaction.sso.verification_failed"
	evIdentified = "interaction.identified"
	evRequest    = "interaction.request.failed"
	evLinked     = "user.identity.linked"
)

var admin = onelogin.Client{ID: "admin", Secret: "admin-secret-0123456789", Scope: onelogin.ScopeManageAll}

// ssoSettings: SSO on, email sign-in by password or code, TOTP offered.
func ssoSettings() *settings.SignInExperience {
	sie := apitest.ScriptSettings()
	sie.SingleSignOnEnabled = true
	sie.SignIn.Methods = append(sie.SignIn.Methods, settings.SignInMethod{Identifier: "email", Password: true, VerificationCode: true})
	return sie
}

// fixture is a server with an OIDC SSO connector "acme" for the domain
// acme.com (written Acme.COM), "acme-trusting", which trusts the IdP's
// unverified emails, and a social connector "google", all at one IdP.
type fixture struct {
	srv *apitest.Server
	idp *oidctest.Provider
}

func newFixture(t *testing.T, o apitest.Options) *fixture {
	t.Helper()
	p := oidctest.Start(t)
	o.SSOConnectors = append(o.SSOConnectors,
		enterprisesso.Connector{Connector: federated.Connector{ID: "acme", SyncProfile: true, Provider: p.Client()},
			Name: "Acme SSO", Domains: []string{"Acme.COM"}},
		enterprisesso.Connector{Connector: federated.Connector{ID: "acme-trusting", TrustUnverifiedEmail: true, Provider: p.Client()},
			Name: "Acme (trusting)"})
	o.SocialConnectors = append(o.SocialConnectors, federated.Connector{ID: "google", Target: "google", Provider: p.Client()})
	o.APIClients = append(o.APIClients, admin)
	if o.Settings == nil {
		o.Settings = ssoSettings()
	}
	return &fixture{srv: apitest.NewServer(t, o), idp: p}
}

func employee(sub, email string, verified bool) *mockoidc.MockUser {
	return &mockoidc.MockUser{Subject: sub, Email: email, EmailVerified: verified}
}

// authorize asks for connector's authorization URI with state and follows
// it at the IdP as the browser would, signed in as u; it returns the
// record's id and where the IdP sent the browser back.
func (f *fixture) authorize(t *testing.T, c *apitest.Client, connector, state string, u *mockoidc.MockUser) (string, map[string]any) {
	t.Helper()
	body := c.Expect(http.MethodPost, "/verification/sso/"+connector+"/authorization-uri",
		map[string]any{"state": state, "redirectUri": redirectURI}, http.StatusOK)
	vid, _ := body["verificationId"].(string)
	back := f.idp.Follow(t, body["authorizationUri"].(string), u)
	if !strings.HasPrefix(back.String(), redirectURI) {
		t.Fatalf("IdP redirect %q", back)
	}
	return vid, map[string]any{"code": back.Query().Get("code"), "state": back.Query().Get("state")}
}

func verify(c *apitest.Client, connector, vid string, data map[string]any) *apitest.Response {
	return c.Do(http.MethodPost, "/api/experience/verification/sso/"+connector+"/verify",
		map[string]any{"verificationId": vid, "connectorData": data})
}

// signedIn starts a SignIn interaction and verifies u at connector.
func (f *fixture) signedIn(t *testing.T, connector string, u *mockoidc.MockUser) (*apitest.Client, string) {
	t.Helper()
	c := f.srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	vid, data := f.authorize(t, c, connector, "state-"+u.Subject, u)
	if r := verify(c, connector, vid, data); r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	return c, vid
}

// createUser creates a user with email and password through the
// OneLogin-style API, as an administrator would.
func (f *fixture) createUser(t *testing.T, username, email, password string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/api/2/users", strings.NewReader(
		`{"username":"`+username+`","email":"`+email+`","password":"`+password+`","password_confirmation":"`+password+`"}`))
	req.Header.Set("Authorization", "Bearer "+f.srv.Token(t, admin.ID, admin.Secret))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create user: %d", resp.StatusCode)
	}
}

func (f *fixture) events(t *testing.T, c *apitest.Client) []string {
	t.Helper()
	return f.srv.EventTypes(t, eventstore.MustSubject(interaction.AggregateType, c.InteractionID()))
}

func count(events []string, typ string) int { return apitest.Count(events, typ) }

func wantError(t *testing.T, r *apitest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.Code() != code {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, code)
	}
}

// wantOnce fails unless each of types is among events exactly once.
func wantOnce(t *testing.T, events []string, types ...string) {
	t.Helper()
	for _, typ := range types {
		if count(events, typ) != 1 {
			t.Fatalf("%s: %d in %v, want 1", typ, count(events, typ), events)
		}
	}
}

// registerFirstTime plays a first SSO sign-in of record vid: no user has
// the identity (404 user.sso_identity_not_exist), so the client switches
// to Register, identifies again and submits.
func registerFirstTime(t *testing.T, c *apitest.Client, vid string) {
	t.Helper()
	wantError(t, c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": vid}),
		http.StatusNotFound, "user.sso_identity_not_exist")
	c.Expect(http.MethodPut, "/interaction-event", map[string]any{"interactionEvent": "Register"}, http.StatusNoContent)
	c.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusCreated)
	c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
}
