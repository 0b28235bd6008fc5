// Package oidctest runs a real OpenID provider on loopback for tests
// (oauth2-proxy/mockoidc: it signs ID tokens and enforces PKCE), with a
// switch that makes its token endpoint hang and a count of its token
// calls, and plays the browser's part of an authorization.
package oidctest

import (
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authtrail/authtrail/workers/connectors/oidc"
)

// Provider is a running provider.
type Provider struct {
	*mockoidc.MockOIDC
	// Hang makes the token endpoint hang until the client gives up.
	Hang atomic.Bool
	// TokenCalls counts the token endpoint's calls.
	TokenCalls atomic.Int32
}

// Start starts a provider; it stops when the test ends.
func Start(t testing.TB) *Provider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{MockOIDC: m}
	if err := m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == mockoidc.TokenEndpoint {
				p.TokenCalls.Add(1)
				if p.Hang.Load() {
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

// Client is a connector of this provider, as authtrail configures one.
func (p *Provider) Client() *oidc.Connector {
	return oidc.New(oidc.Config{Issuer: p.Issuer(), ClientID: p.ClientID, ClientSecret: p.ClientSecret, TokenAuth: oidc.TokenAuthPost})
}

// Follow plays the browser: it goes to the authorization URI signed in as
// u (nil: the provider's default user) and returns where the provider
// sends it back, which carries the code and the state.
func (p *Provider) Follow(t testing.TB, authorizationURI string, u *mockoidc.MockUser) *url.URL {
	t.Helper()
	if u != nil {
		p.QueueUser(u)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(authorizationURI)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("provider authorize: %d", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("provider redirect %q: %v", resp.Header.Get("Location"), err)
	}
	return back
}
