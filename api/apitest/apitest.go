// Package apitest runs authtrail's HTTP API in-process over a real embedded
// JetStream server, in the style of net/http/httptest, and gives tests a
// cookie-keeping client and access to the events written.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/experience/enterprisesso"
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/api/oidcprovider"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/passkey"
	"github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/throttle"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/natstest"
	"github.com/authtrail/authtrail/logging"
	"github.com/authtrail/authtrail/metrics"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/workers/webhooks"
	"github.com/nats-io/nats-server/v2/server"
)

// Clock is a settable clock safe for concurrent requests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func NewClock(t time.Time) *Clock { return &Clock{t: t} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Options tune a test server; zero values give the demo sign-in experience,
// cheap password hashing and a clock fixed at 2026-11-23 10:00 UTC.
type Options struct {
	Settings *settings.SignInExperience
	Clock    *Clock
	// AllowedOrigins are the Experience API's http.allowedOrigins.
	AllowedOrigins []string
	// Store: use this store (e.g. one on a data dir kept across a restart).
	Store *eventstore.Store
	// StoreConfig configures the store the server opens when Store is nil
	// (default StoreConfig(): every command's first commit conflicts).
	StoreConfig *eventstore.Config
	Hasher      *password.Hasher
	Breached    password.Breached
	TTL         time.Duration
	// SMTP and SMSURL configure the email and SMS connectors; without them
	// sends of that kind answer 501 connector.not_found.
	SMTP   *SMTPServer
	SMSURL string
	// ManualWorkers: the delivery worker starts only on StartWorkers.
	ManualWorkers bool
	// APIClients are credentials for the OneLogin-style API.
	APIClients []onelogin.Client
	// MFAFactors are the factors the MFA API offers.
	MFAFactors []mfaapi.Factor
	// Methods are authentication methods to add to the built-in ones.
	Methods []experience.Method
	// Webhooks are receivers the workers deliver to.
	Webhooks []webhooks.Hook
	// JSONLogs: the server logs JSON lines (log.format json), not text.
	JSONLogs bool
	// Limits are the per-client limits (off unless set), FailedTokensPerIP
	// the token endpoint's, and TrustedProxies the peers whose
	// X-Forwarded-For is believed (tests name clients with it).
	Limits            experience.Limits
	FailedTokensPerIP throttle.Rate
	TrustedProxies    []netip.Prefix
	// OIDC configures the OpenID Connect provider. With it, the server's
	// public URL (and so the issuer) is its own address, which relying
	// parties check; without it, PublicURL.
	OIDC *oidcprovider.Config
	// SocialConnectors are the social connectors (config connectors.social),
	// SSOConnectors the SSO connectors (connectors.sso), ConnectorTimeout
	// connectors.timeout.
	SocialConnectors []federated.Connector
	SSOConnectors    []enterprisesso.Connector
	ConnectorTimeout time.Duration
}

// The relying party of test servers, for software authenticators.
const (
	WebAuthnRPID   = "localhost"
	WebAuthnOrigin = "https://localhost"
)

// CookieKey and EncryptionKey are the fixed keys of test servers, so an
// interaction survives a server restart in a test.
var (
	CookieKey     = bytes.Repeat([]byte{7}, 32)
	EncryptionKey = bytes.Repeat([]byte{9}, 32)
)

// CheapHasher hashes with tiny argon2id parameters to keep tests fast.
func CheapHasher() *password.Hasher {
	return password.NewHasherWithParams(password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 0, nil)
}

// Server is a running in-process API.
type Server struct {
	*httptest.Server
	Store *eventstore.Store
	Clock *Clock
	// Metrics are the server's own series, served at /metrics; the store
	// the server opened and its workers record into them too.
	Metrics *metrics.Metrics
	nats    *server.Server
	opts    Options
	logs    *SyncBuffer
	log     *slog.Logger // writes logs, for the server and its workers
	stop    func()
	api     *api.Server
	audit   *audit
	t       testing.TB
}

// API is the server under test.
func (s *Server) API() *api.Server { return s.api }

// DataDir is the directory of the server's own NATS server ("" when the
// test gave a store): where its events and buckets are on disk.
func (s *Server) DataDir() string {
	if s.nats == nil {
		return ""
	}
	return s.nats.StoreDir()
}

// Answers lists the requests the server answered so far, in order.
func (s *Server) Answers() []Answer { return s.audit.answered() }

// Log lists the aggregate and event types of the events requests wrote
// ("interaction interaction.started"), in the log's order; the workers'
// events are left out.
func (s *Server) Log(t testing.TB) []string {
	t.Helper()
	var out []string
	err := s.Store.Scan(context.Background(), func(env eventstore.Envelope) error {
		if !strings.HasPrefix(env.Actor, "worker:") {
			out = append(out, env.AggType+" "+env.Type)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("apitest: scan: %v", err)
	}
	return out
}

// Close stops answering and audits the commit rule of every request the
// server answered (see Audit), while its store is still reachable.
func (s *Server) Close() {
	s.Server.Close()
	s.audit.checkOnce(s.t, s.Store)
}

// NewServer starts the API; everything is stopped when the test ends.
func NewServer(t testing.TB, o Options) *Server {
	t.Helper()
	var ns *server.Server
	m := metrics.New()
	if o.Store == nil {
		ns = natstest.RunBasicJetStreamServer(t)
		cfg := StoreConfig()
		if o.StoreConfig != nil {
			cfg = *o.StoreConfig
		}
		if cfg.Metrics == nil {
			cfg.Metrics = m
		}
		o.Store = natstest.OpenStore(t, natstest.NewConn(t, ns), cfg)
	}
	if o.Clock == nil {
		o.Clock = NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	}
	if o.Hasher == nil {
		o.Hasher = CheapHasher()
	}
	if o.TTL == 0 {
		o.TTL = time.Hour
	}
	sie := settings.Default()
	if o.Settings != nil {
		sie = *o.Settings
	}
	logs := &SyncBuffer{}
	logFormat := logging.Text
	if o.JSONLogs {
		logFormat = logging.JSON
	}
	log := logging.New(logs, logFormat, slog.LevelInfo)
	ts := httptest.NewUnstartedServer(nil)
	publicURL, provider := PublicURL, oidcprovider.Config{}
	webauthnOrigins := []string{WebAuthnOrigin}
	if o.OIDC != nil {
		// localhost, not 127.0.0.1: a browser's WebAuthn needs a domain.
		_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
		publicURL, provider = "http://localhost:"+port, *o.OIDC
		webauthnOrigins = append(webauthnOrigins, publicURL)
	}
	srv, err := api.New(context.Background(), o.Store, api.Options{
		Experience: experience.Config{
			Settings: sie, TTL: o.TTL, ReturnURL: "http://localhost:3000/callback", CookieKey: CookieKey,
			AllowedOrigins: o.AllowedOrigins, Limits: o.Limits, TrustedProxies: o.TrustedProxies,
		},
		FailedTokensPerIP: o.FailedTokensPerIP,
		EmailConnector:    o.SMTP != nil, SMSConnector: o.SMSURL != "",
		WebAuthn: passkey.Config{RPID: WebAuthnRPID, RPName: "authtrail", Origins: webauthnOrigins},
		Hasher:   o.Hasher, Breached: o.Breached, Clock: o.Clock, EncryptionKey: EncryptionKey, APIClients: o.APIClients,
		MFAFactors: o.MFAFactors, Methods: o.Methods,
		Log:     log,
		Metrics: m, ServeMetrics: true,
		ReadModelDB: filepath.Join(t.TempDir(), projections.FileName),
		PublicURL:   publicURL, WebhookIDs: webhooks.IDs(o.Webhooks),
		OIDC: provider, SocialConnectors: o.SocialConnectors, SSOConnectors: o.SSOConnectors,
		ConnectorTimeout: o.ConnectorTimeout,
	})
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	srv.SetReady(true)
	audit := newAudit(t, o.Store, srv.Catalogue(), srv)
	ts.Config.Handler = audit
	ts.Start()
	if o.OIDC != nil {
		ts.URL = publicURL // the issuer's host, which relying parties and cookies go by
	}
	s := &Server{Server: ts, Store: o.Store, Clock: o.Clock, Metrics: m, nats: ns, opts: o, logs: logs, log: log, api: srv, audit: audit, t: t}
	t.Cleanup(s.Close)
	t.Cleanup(srv.Close)
	if ns != nil && !o.ManualWorkers {
		s.StartWorkers(t)
	}
	return s
}

// Client is a browser-like client: it keeps the interaction cookie.
type Client struct {
	t testing.TB
	// Base is the server URL requests go to; a test may point it at a
	// restarted server (cookies are kept per host, not per port).
	Base string
	HTTP *http.Client
	// header is sent with every request (WithHeader).
	header http.Header
}

// Client returns a new client of the server with an empty cookie jar.
func (s *Server) Client(t testing.TB) *Client { return NewClient(t, s.URL) }

// NewClient returns a client of any server at base, with an empty cookie jar.
func NewClient(t testing.TB, base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, Base: base, HTTP: &http.Client{Jar: jar}}
}

// Response is a decoded answer.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// Code is the error code of a JSON error body, or "".
func (r *Response) Code() string {
	var e struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Code
}

// JSON decodes the body into a map.
func (r *Response) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// WithHeader returns a client like c (the same cookies) that also sends
// the header, e.g. Authorization.
func (c *Client) WithHeader(key, value string) *Client {
	cc := *c
	cc.header = c.header.Clone()
	if cc.header == nil {
		cc.header = http.Header{}
	}
	cc.header.Set(key, value)
	return &cc
}

// Do sends a request; body is JSON-encoded unless it is a string or nil.
func (c *Client) Do(method, path string, body any) *Response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatalf("apitest: encode body: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		c.t.Fatalf("apitest: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("apitest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Body: data, Header: resp.Header}
}

// EventTypes lists the types of the events on subject, oldest first.
func (s *Server) EventTypes(t testing.TB, subject string) []string {
	t.Helper()
	envs, _, err := s.Store.Load(context.Background(), subject)
	if err != nil {
		t.Fatalf("apitest: load %s: %v", subject, err)
	}
	out := make([]string, len(envs))
	for i, e := range envs {
		out[i] = e.Type
	}
	return out
}

// InteractionID is the interaction id in the client's cookie, or "".
func (c *Client) InteractionID() string {
	req, _ := http.NewRequest(http.MethodGet, c.Base, nil)
	for _, ck := range c.HTTP.Jar.Cookies(req.URL) {
		if ck.Name == experience.CookieName {
			id, _, _ := strings.Cut(ck.Value, ".")
			return id
		}
	}
	return ""
}
