package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/embedded"
	"github.com/authtrail/authtrail/workers/connectors"
	"github.com/authtrail/authtrail/workers/connectors/oidc"
)

const socialRedirect = "http://localhost:3000/callback/google"

// latencies collects one call's latencies from every worker.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
	// spans are the calls' start and end by a key (verify's record id),
	// to set beside the log's times.
	spans map[string][2]time.Time
}

// span records a call of key from t to now.
func (l *latencies) span(key string, t time.Time) {
	now := time.Now()
	l.mu.Lock()
	l.all = append(l.all, now.Sub(t))
	if l.spans == nil {
		l.spans = map[string][2]time.Time{}
	}
	l.spans[key] = [2]time.Time{t, now}
	l.mu.Unlock()
}

func (l *latencies) since(t time.Time) {
	d := time.Since(t)
	l.mu.Lock()
	l.all = append(l.all, d)
	l.mu.Unlock()
}

func (l *latencies) result() result {
	return result{ops: len(l.all), elapsed: time.Second, latencies: l.all}
}

// measureSocial compares whole social sign-ins (authorization-uri, the
// provider's authorize, verify, identification, submit) with the same
// provider calls made directly by a Go client (the authorization URL, the
// authorize, the code exchange with the ID token's checks), in alternating
// rounds at the same concurrency, and verify's latency with the exchange's:
// the worker hop must cost little. The provider is oauth2-proxy/mockoidc
// on loopback, signing its ID tokens with RSA; every sign-in is of its
// default user, registered first.
func measureSocial(ctx context.Context, r *rig, transport http.RoundTripper, workers int, d time.Duration) (string, error) {
	idp, err := startProvider()
	if err != nil {
		return "", err
	}
	defer func() { _ = idp.Shutdown() }()
	connector := oidc.New(oidc.Config{Issuer: idp.Issuer(), ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
		TokenAuth: oidc.TokenAuthPost, HTTPClient: &http.Client{Transport: transport}})
	srv, ts, stop, err := r.server(ctx, "social", func(o *api.Options) {
		o.SocialConnectors = []federated.Connector{{ID: "google", Target: "google", Provider: connector}}
		// The default sign-up asks for a username, which a provider does not give.
		o.Experience.Settings.SocialSignIn.SkipRequiredIdentifiers = true
	})
	if err != nil {
		return "", err
	}
	defer stop()
	nc, err := embedded.Connect(r.ns, "bench-social")
	if err != nil {
		return "", err
	}
	stopWorkers, err := api.StartWorkers(ctx, nc, api.WorkerOptions{Store: r.store, Catalogue: srv.Catalogue(),
		Log: r.options.Log, PublicURL: ts.URL, Connectors: srv.Connectors})
	if err != nil {
		return "", err
	}
	defer stopWorkers()
	browser := &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	first := newClient(ts.URL, transport, true)
	if err := first.socialSignIn(ctx, browser, "Register", nil); err != nil {
		return "", fmt.Errorf("registering the provider's user: %w", err)
	}
	clients := make([]*client, workers)
	for w := range clients {
		clients[w] = newClient(ts.URL, transport, true)
	}
	var verifies, exchanges latencies
	signIn := func(ctx context.Context, w int) error {
		return clients[w].socialSignIn(ctx, browser, "SignIn", &verifies)
	}
	direct := func(ctx context.Context, w int) error {
		raw, err := connector.AuthorizationURL(ctx, connectors.Authorization{RedirectURI: socialRedirect, State: "state", Nonce: "nonce", Verifier: benchVerifier})
		if err != nil {
			return err
		}
		back, err := providerRedirect(ctx, browser, raw)
		if err != nil {
			return err
		}
		t := time.Now()
		if _, err := connector.Exchange(ctx, connectors.Authorization{RedirectURI: socialRedirect, Verifier: benchVerifier, Nonce: "nonce"}, back.Query().Get("code")); err != nil {
			return err
		}
		exchanges.since(t)
		return nil
	}
	rounds := max(4, int(d/signInRound))
	all, perRound, err := alternate(ctx, workers, d, rounds, signIn, direct)
	if err != nil {
		return "", err
	}
	ratios := roundRatios(perRound, 0, 1)
	v, x := verifies.result(), exchanges.result()
	parts, err := verifyLegs(ctx, r, &verifies)
	if err != nil {
		return "", err
	}
	legs := "  verify's legs (the stream's times beside the client's):\n"
	for i, name := range []string{"request to the callback stored", "callback to the worker's start", "start to the outcome stored", "outcome to the answer"} {
		l := parts[i].result()
		legs += fmt.Sprintf("    %-31s p50 %-9v p99 %v\n", name, l.percentile(0.5).Round(10*time.Microsecond), l.percentile(0.99).Round(10*time.Microsecond))
	}
	return fmt.Sprintf("social sign-ins at %d concurrent clients (authorization-uri, the provider's authorize, verify through the "+
		"connector worker, identification, submit; %d rounds of %v each, order rotating):\n"+
		"  social sign-ins         %s\n  provider calls directly %s\n"+
		"  ratio                   %6.2f over all rounds, median round %.2f, middle half %s\n"+
		"  verify                  p50 %-10v p99 %v\n  the exchange directly   p50 %-10v p99 %v  (target: verify p99 <= this + 20ms: %v)\n",
		workers, rounds, d/time.Duration(rounds), all[0], all[1],
		all[0].perSecond()/all[1].perSecond(), median(ratios), middleHalf(ratios),
		v.percentile(0.5).Round(10*time.Microsecond), v.percentile(0.99).Round(10*time.Microsecond),
		x.percentile(0.5).Round(10*time.Microsecond), x.percentile(0.99).Round(10*time.Microsecond),
		v.percentile(0.99) <= x.percentile(0.99)+20*time.Millisecond) + legs, nil
}

// startProvider starts mockoidc on loopback, one request at a time: its
// session store is not safe for concurrent use.
func startProvider() (*mockoidc.MockOIDC, error) {
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	if err := m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			next.ServeHTTP(w, r)
		})
	}); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return m, m.Start(ln, nil)
}

// benchVerifier is the direct client's PKCE verifier (43 characters or more).
const benchVerifier = "bench-verifier-0123456789-0123456789-0123456789"

// socialSignIn is one social sign-in, or, with event Register, the
// registration of the provider's user; verify's latency goes to l.
func (c *client) socialSignIn(ctx context.Context, browser *http.Client, event string, l *latencies) error {
	var auth struct{ AuthorizationURI, VerificationID string }
	var back *url.URL
	identified := 204
	if event == "Register" {
		identified = 201
	}
	return runSteps([]func() error{
		func() error {
			return c.call(ctx, "PUT", "/api/experience", map[string]string{"interactionEvent": event}, 204, nil)
		},
		func() error {
			return c.call(ctx, "POST", "/api/experience/verification/social/google/authorization-uri",
				map[string]string{"state": "bench-state", "redirectUri": socialRedirect}, 200, &auth)
		},
		func() error {
			var err error
			back, err = providerRedirect(ctx, browser, auth.AuthorizationURI)
			return err
		},
		func() error {
			t := time.Now()
			err := c.call(ctx, "POST", "/api/experience/verification/social/google/verify", map[string]any{
				"verificationId": auth.VerificationID,
				"connectorData":  map[string]string{"code": back.Query().Get("code"), "state": back.Query().Get("state")},
			}, 200, nil)
			if err == nil && l != nil {
				l.span(auth.VerificationID, t)
			}
			return err
		},
		func() error {
			return c.call(ctx, "POST", "/api/experience/identification", map[string]string{"verificationId": auth.VerificationID}, identified, nil)
		},
		func() error { return c.call(ctx, "POST", "/api/experience/submit", nil, 200, nil) },
	})
}

// providerRedirect follows an authorization URL at the provider, as the
// browser does, and returns where it sends the browser back.
func providerRedirect(ctx context.Context, browser *http.Client, authorizationURL string) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizationURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := browser.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil || loc.Query().Get("code") == "" {
		return nil, fmt.Errorf("provider authorize: %d %v", resp.StatusCode, err)
	}
	return loc, nil
}

// verifyLegs reads from the log where verify's time went, by the times the
// stream stored the events (the rig's clock stands still) beside the
// client's: the request until the callback is stored (the API's decision
// and commit), the callback until the worker's start is stored (the
// consumer's hop and the start's commit), the start until the outcome is
// stored (the exchange and its commit), the outcome until the answer (the
// wake-up and the reply).
func verifyLegs(ctx context.Context, r *rig, verifies *latencies) (legs [4]*latencies, err error) {
	for i := range legs {
		legs[i] = &latencies{}
	}
	callbacks, starts := map[string]time.Time{}, map[string]time.Time{}
	records := map[string]string{} // callback id -> record id
	stream, err := r.store.JetStream().Stream(ctx, eventstore.DefaultStream)
	if err != nil {
		return legs, err
	}
	err = r.store.Scan(ctx, func(e eventstore.Envelope) error {
		var ids struct {
			CallbackID     string `json:"callbackId"`
			VerificationID string `json:"verificationId"`
		}
		switch e.Type {
		case "interaction.social.callback_received", "interaction.social.exchange_started", "interaction.social.verified":
			if err := json.Unmarshal(e.Data, &ids); err != nil {
				return err
			}
		default:
			return nil
		}
		msg, err := stream.GetMsg(ctx, e.Seq)
		if err != nil {
			return err
		}
		stored := msg.Time
		switch e.Type {
		case "interaction.social.callback_received":
			callbacks[ids.CallbackID], records[ids.CallbackID] = stored, ids.VerificationID
			if span, ok := verifies.spans[ids.VerificationID]; ok {
				legs[0].all = append(legs[0].all, stored.Sub(span[0]))
			}
		case "interaction.social.exchange_started":
			if t, ok := callbacks[ids.CallbackID]; ok {
				legs[1].all = append(legs[1].all, stored.Sub(t))
			}
			starts[ids.CallbackID] = stored
		default:
			if t, ok := starts[ids.CallbackID]; ok {
				legs[2].all = append(legs[2].all, stored.Sub(t))
			}
			if span, ok := verifies.spans[records[ids.CallbackID]]; ok {
				legs[3].all = append(legs[3].all, span[1].Sub(stored))
			}
		}
		return nil
	})
	return legs, err
}
