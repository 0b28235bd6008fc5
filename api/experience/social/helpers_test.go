package social_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/experience/social"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers/connectors/oidc"
)

// redirectURI is the application's callback the provider sends the browser
// back to; the test plays the browser and reads the code off the redirect.
const redirectURI = "http://localhost:3000/callback/google"

// provider is an OpenID provider on loopback that signs ID tokens and
// enforces PKCE (oauth2-proxy/mockoidc), with a switch that makes its
// token endpoint hang and a count of its token calls.
type provider struct {
	*mockoidc.MockOIDC
	hang       atomic.Bool
	tokenCalls atomic.Int32
}

func startProvider(t *testing.T) *provider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{MockOIDC: m}
	if err := m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == mockoidc.TokenEndpoint {
				p.tokenCalls.Add(1)
				if p.hang.Load() {
					// Read the body first: only then does the server
					// notice the client hanging up.
					_ = r.ParseForm()
					select {
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return p
}

// connector is a social connector of the provider under id, for target.
func (p *provider) connector(id, target string) social.Connector {
	return social.Connector{ID: id, Target: target, SyncProfile: true, Provider: oidc.New(oidc.Config{
		Issuer: p.Issuer(), ClientID: p.ClientID, ClientSecret: p.ClientSecret, TokenAuth: oidc.TokenAuthPost})}
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
	o.SocialConnectors = append(o.SocialConnectors, p.connector("google", "google"), p.connector("github", "github"))
	o.SSOConnectorIDs = []string{"acme-sso"}
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
	if u != nil {
		p.QueueUser(u)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(uri)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("provider authorize: %d", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(back.String(), redirectURI) {
		t.Fatalf("provider redirect %q: %v", resp.Header.Get("Location"), err)
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

// registeredUser is the id of the user the client's interaction registered.
func registeredUser(t *testing.T, srv *apitest.Server, c *apitest.Client) string {
	t.Helper()
	envs, _, err := srv.Store.Load(context.Background(), interactionSubject(c))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range envs {
		if e.Type == (interaction.UserRegistered{}).EventType() {
			var ev interaction.UserRegistered
			if err := json.Unmarshal(e.Data, &ev); err != nil {
				t.Fatal(err)
			}
			return ev.UserID
		}
	}
	t.Fatal("no user registered")
	return ""
}

// count is how many of the events are of type typ.
func count(events []string, typ string) int { return apitest.Count(events, typ) }

func wantError(t *testing.T, r *apitest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.Code() != code {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, code)
	}
}

func foldUser(t *testing.T, envs []eventstore.Envelope) user.State {
	t.Helper()
	evs, err := eventstore.Decode(envs, user.Events)
	if err != nil {
		t.Fatal(err)
	}
	return user.Fold(evs)
}

// loadUserByEmail loads the user who claimed the email.
func loadUserByEmail(t *testing.T, srv *apitest.Server, email string) user.State {
	t.Helper()
	envs, _, err := srv.Store.Load(t.Context(), accounts.ClaimSubject(user.KindEmail, user.NormalizeEmail(email)))
	if err != nil || len(envs) == 0 {
		t.Fatalf("no claim of %s: %v", email, err)
	}
	last := envs[len(envs)-1]
	ev, err := user.ClaimEvents.Decode(last.Type, last.Data)
	if err != nil {
		t.Fatal(err)
	}
	return loadUser(t, srv, ev.(*user.IdentifierClaimed).UserID)
}
