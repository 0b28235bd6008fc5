package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"

	"net/url"
	"path/filepath"
	"time"

	"golang.org/x/net/netutil"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/admin"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/passkey"
	"github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/embedded"
	"github.com/authtrail/authtrail/metrics"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/workers/webhooks"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// shutdownGrace bounds how long in-flight requests may take to drain.
const shutdownGrace = 15 * time.Second

// serve runs the server until ctx ends (SIGTERM or interrupt), then drains
// and returns 0. A bad configuration is one line per problem on stderr and
// exit 1; a bad command line one line and exit 2.
// writeTimeout bounds writing an answer (the slowest is a password hash
// waiting its turn under load).
const writeTimeout = time.Minute

// openTimeout bounds opening the store, the APIs and the workers.
const openTimeout = 2 * time.Minute

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags, code, ok := parseServeFlags(args, stdout, stderr)
	if !ok {
		return code
	}
	cfg, err := flags.config()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	log := cfg.Log.logger(stderr)
	if err := runServer(ctx, cfg, log, stdout); err != nil {
		log.Error("authtrail stopped", "err", err)
		return 1
	}
	return 0
}

// runServer starts NATS (embedded or external), the event store and HTTP,
// serves until ctx ends, then drains in that order reversed.
func runServer(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) error {
	keys, err := loadKeys(cfg)
	if err != nil {
		return err
	}
	ns, dial, err := startNATS(cfg, log)
	if err != nil {
		return err
	}
	if ns != nil {
		defer embedded.Shutdown(ns)
	}
	log.Info("memory limit", "bytes", api.LimitMemory(ctx, nil))
	nc, err := dial("authtrail")
	if err != nil {
		return err
	}
	defer func() {
		if err := nc.Drain(); err != nil {
			log.Warn("nats drain", "err", err)
		}
	}()
	// Opening creates or checks streams and buckets; a first start on a
	// large log, whose JetStream is still busy recovering it, can take tens
	// of seconds, which must not end the start.
	openCtx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	m := metrics.New()
	store, err := eventstore.Open(openCtx, nc, eventstore.Config{Replicas: cfg.NATS.Replicas, Metrics: m})
	if err != nil {
		return err
	}
	sie := cfg.SignInExperience
	sie.ApplyDefaults()
	var breached password.Breached
	if rejects := sie.PasswordPolicy.Rejects; rejects.Pwned != nil && *rejects.Pwned {
		if breached, err = password.LoadBreachedList(rejects.BreachedListFile); err != nil {
			return err
		}
	}
	public, _ := url.Parse(cfg.HTTP.PublicURL)
	sso, err := cfg.Connectors.ssoConnectors(cfg.HTTP.PublicURL)
	if err != nil {
		return err
	}
	srv, err := api.New(openCtx, store, api.Options{
		Experience: experience.Config{
			Settings: sie, TTL: cfg.Interaction.TTL.Duration, ReturnURL: cfg.Interaction.ReturnURL,
			CookieKey: keys.cookie, SecureCookie: public != nil && public.Scheme == "https",
			TrustedProxies: cfg.Limits.trustedProxies(), AllowedOrigins: cfg.HTTP.AllowedOrigins,
			Limits: experience.Limits{
				FailedAttempts: cfg.Limits.FailedAttemptsPerIP.rate(), NewRecipients: cfg.Limits.NewRecipientsPerIP.rate(),
			},
		},
		FailedTokensPerIP: cfg.Limits.TokenRequestsPerIP.rate(),
		EmailConnector:    cfg.Connectors.Email != nil, SMSConnector: cfg.Connectors.SMS != nil,
		WebAuthn: passkey.Config{RPID: cfg.WebAuthn.RPID, RPName: cfg.WebAuthn.RPName, Origins: cfg.WebAuthn.Origins},
		Breached: breached, Log: log, EncryptionKey: keys.encryption, APIClients: apiClients(cfg),
		MFAFactors: mfaFactors(cfg), ReadModelDB: filepath.Join(cfg.NATS.DataDir, projections.FileName),
		PublicURL: cfg.HTTP.PublicURL, WebhookIDs: webhooks.IDs(cfg.hooks()),
		Metrics: m, ServeMetrics: cfg.Metrics.Addr == "",
		OIDC:             cfg.OIDC.provider(cfg.HTTP.PublicURL, public != nil && public.Scheme == "https"),
		SocialConnectors: cfg.Connectors.socialConnectors(), SSOConnectors: sso,
		ConnectorTimeout: cfg.Connectors.timeout(),
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	adminService, err := admin.Serve(nc, srv.ReadModels.Host)
	if err != nil {
		return err
	}
	defer func() { _ = adminService.Stop() }()
	// The health check turns green only on read models that are current.
	catchUp, cancelCatchUp := context.WithTimeout(ctx, time.Minute)
	if err := srv.ReadModels.WaitCurrent(catchUp); err != nil {
		log.Warn("read models still catching up", "err", err)
	}
	cancelCatchUp()
	workerConn, err := dial("authtrail-workers")
	if err != nil {
		return err
	}
	stopWorkers, err := startWorkers(openCtx, cfg, workerConn, store, srv, log)
	if err != nil {
		return err
	}
	defer stopWorkers()
	if cfg.Metrics.Addr != "" {
		stopMetrics, err := serveMetrics(cfg.Metrics.Addr, m, log, stdout)
		if err != nil {
			return err
		}
		defer func() {
			drain, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			defer cancel()
			_ = stopMetrics(drain)
		}()
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return err
	}
	// A slow body, an idle connection or a flood of connections cannot hold
	// the server: reads, idle keep-alives and concurrent connections are
	// bounded, and so are writes, except the event stream's, which sets a
	// deadline per write.
	ln = netutil.LimitListener(ln, cfg.HTTP.MaxConnections)
	httpServer := &http.Server{Handler: srv, ReadTimeout: cfg.HTTP.ReadTimeout.Duration,
		ReadHeaderTimeout: min(10*time.Second, cfg.HTTP.ReadTimeout.Duration), IdleTimeout: cfg.HTTP.IdleTimeout.Duration,
		WriteTimeout: writeTimeout, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(ln) }()
	srv.SetReady(true)
	log.Info("authtrail serving", "addr", ln.Addr().String(), "nats", natsMode(cfg), "dataDir", cfg.NATS.DataDir)
	fmt.Fprintf(stdout, "authtrail listening on http://%s\n", ln.Addr())

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests")
	srv.SetReady(false)
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancelDrain()
	if err := httpServer.Shutdown(drainCtx); err != nil {
		return err
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startNATS embeds a server in the data dir unless nats.url names one, and
// returns how to open a named connection to it.
func startNATS(cfg Config, log *slog.Logger) (*server.Server, func(name string) (*nats.Conn, error), error) {
	if cfg.NATS.URL != "" {
		// The read models live in the data directory, which nothing else
		// creates when NATS is external.
		if err := os.MkdirAll(cfg.NATS.DataDir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("data directory: %w", err)
		}
		return nil, func(name string) (*nats.Conn, error) {
			nc, err := nats.Connect(cfg.NATS.URL, nats.Name(name), nats.MaxReconnects(-1))
			if err != nil {
				return nil, fmt.Errorf("connect to %s: %w", cfg.NATS.URL, err)
			}
			return nc, nil
		}, nil
	}
	users := make([]embedded.User, 0, len(cfg.NATS.Users))
	for _, u := range cfg.NATS.Users {
		users = append(users, embedded.User{Name: u.User, Password: u.Password, Role: u.Role})
	}
	ns, err := embedded.Start(embedded.Options{DataDir: cfg.NATS.DataDir, SyncAlways: cfg.NATS.SyncAlways, ServerName: "authtrail",
		Listen: cfg.NATS.Listen, Users: users})
	if err != nil {
		return nil, nil, err
	}
	if !cfg.NATS.SyncAlways {
		log.Warn("nats.syncAlways is off: acknowledged events can be lost on a power failure")
	}
	return ns, func(name string) (*nats.Conn, error) { return embedded.Connect(ns, name) }, nil
}

func natsMode(cfg Config) string {
	if cfg.NATS.URL != "" {
		return "external"
	}
	return "embedded"
}

// apiClients are the OneLogin-style API credentials of mfaApi.clients.
func apiClients(cfg Config) []onelogin.Client {
	var out []onelogin.Client
	for _, c := range cfg.MFAAPI.Clients {
		out = append(out, onelogin.Client{ID: c.ClientID, Secret: c.ClientSecret, Scope: c.Scope})
	}
	return out
}

// mfaFactors is the factor catalogue of mfaApi.factors.
func mfaFactors(cfg Config) []mfaapi.Factor {
	var out []mfaapi.Factor
	for _, f := range cfg.MFAAPI.Factors {
		out = append(out, mfaapi.Factor{ID: f.FactorID, Name: f.Name, AuthFactorName: f.AuthFactorName, Kind: f.Kind})
	}
	return out
}
