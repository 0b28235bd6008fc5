package social_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authtrail/authtrail/workers/connectors/oidc/oidctest"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/experience/enterprisesso"
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

// redirectURI is the application's callback the provider sends the browser
// back to; the test plays the browser and reads the code off the redirect.
const redirectURI = "http://localhost:3000/callback/google"

// provider is the OpenID provider of the tests.
type provider = oidctest.Provider

func startProvider(t *testing.T) *provider { return oidctest.Start(t) }

// connector is a social connector of the provider under id, for target.
func connector(p *provider, id, target string) federated.Connector {
	return federated.Connector{ID: id, Target: target, SyncProfile: true, Provider: p.Client()}
}

// socialSettings sign users up by email (with a password, which a social
// identity stands in for) and in by username and password.
func socialSettings() *settings.SignInExperience {
	sie := settings.Default()
	sie.SignUp = settings.SignUp{Identifiers: []string{settings.IdentifierEmail}, Password: true}
	return &sie
}

// newServer is a test server with the provider's connectors "google" and
// "github", and an SSO connector "acme-sso" the social routes refuse.
func newServer(t *testing.T, p *provider, o apitest.Options) *apitest.Server {
	t.Helper()
	o.SocialConnectors = append(o.SocialConnectors, connector(p, "google", "google"), connector(p, "github", "github"))
	o.SSOConnectors = []enterprisesso.Connector{{Connector: connector(p, "acme-sso", ""), Name: "Acme"}}
	if o.Settings == nil {
		o.Settings = socialSettings()
	}
	return apitest.NewServer(t, o)
}

// authorized is an authorization-uri answer and the provider's redirect
// back to the application.
type authorized struct {
	verificationID string
	uri            *url.URL
	code, state    string
}

// authorize asks for the connector's authorization URI with state and
// follows it at the provider as the browser would, signed in as u.
func authorize(t *testing.T, p *provider, c *apitest.Client, connector, state string, u *mockoidc.MockUser) authorized {
	t.Helper()
	body := c.Expect(http.MethodPost, "/verification/social/"+connector+"/authorization-uri",
		map[string]any{"state": state, "redirectUri": redirectURI}, http.StatusOK)
	var a authorized
	a.verificationID, _ = body["verificationId"].(string)
	uri, _ := body["authorizationUri"].(string)
	var err error
	if a.uri, err = url.Parse(uri); err != nil {
		t.Fatal(err)
	}
	back := p.Follow(t, uri, u)
	if !strings.HasPrefix(back.String(), redirectURI) {
		t.Fatalf("provider redirect %q", back)
	}
	a.code, a.state = back.Query().Get("code"), back.Query().Get("state")
	return a
}

// verify posts the callback the browser brought back.
func verify(c *apitest.Client, connector, verificationID string, data map[string]any) *apitest.Response {
	return c.Do(http.MethodPost, "/api/experience/verification/social/"+connector+"/verify",
		map[string]any{"verificationId": verificationID, "connectorData": data})
}

func (a authorized) callback() map[string]any {
	return map[string]any{"code": a.code, "state": a.state}
}

// signedIn starts a SignIn interaction and verifies u at connector.
func signedIn(t *testing.T, srv *apitest.Server, p *provider, connector string, u *mockoidc.MockUser) (*apitest.Client, string) {
	t.Helper()
	c := srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	a := authorize(t, p, c, connector, "state-"+u.Subject, u)
	if r := verify(c, connector, a.verificationID, a.callback()); r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	return c, a.verificationID
}

// events are the types of the client's interaction's events.
func events(t *testing.T, srv *apitest.Server, c *apitest.Client) []string {
	t.Helper()
	return srv.EventTypes(t, interactionSubject(c))
}

func interactionSubject(c *apitest.Client) string {
	return eventstore.MustSubject(interaction.AggregateType, c.InteractionID())
}

// count is how many of the events are of type typ.
func count(events []string, typ string) int { return apitest.Count(events, typ) }

func wantError(t *testing.T, r *apitest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.Code() != code {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, code)
	}
}

func registeredUser(t *testing.T, srv *apitest.Server, c *apitest.Client) string {
	return srv.RegisteredUser(t, c)
}

func loadUser(t *testing.T, srv *apitest.Server, id string) user.State { return srv.User(t, id) }

func loadUserByEmail(t *testing.T, srv *apitest.Server, email string) user.State {
	return srv.UserByEmail(t, email)
}
