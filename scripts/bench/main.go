// Command bench measures authtrail's hot paths against baselines taken in
// the same run, because the machines are shared and noisy:
//
//   - full password sign-ins (start, password verification, identification,
//     submit) over HTTP at 2x cores concurrency, against raw argon2id
//     verifies at the same concurrency;
//   - PUT /api/experience at 50 concurrent clients with fsync on, against
//     bare fsync'd expected-sequence JetStream appends to distinct subjects;
//   - TOTP, backup-code and WebAuthn verify calls over HTTP at 2x cores
//     concurrency, against bare appends (mfa), and the MFA API's TOTP
//     verifications likewise (mfaapi);
//   - verification-code requests end to end (API, event, worker, SMTP
//     server) at 2x cores concurrency;
//   - the interactions read model rebuilt from the first event of a
//     synthetic log of -rebuild-events events, against an ordered consumer
//     reading the same log;
//   - GET /api/admin/interactions by user and by failure over
//     -admin-interactions interactions at 4 concurrent clients, against
//     GET /healthz on the same server;
//   - password sign-ins with the downstream doors open (the public-stream
//     worker, a webhook to a receiver sleeping 5 s per call, 10
//     server-sent-event subscribers) against them closed, and the delay
//     from append to the CloudEvent in AUTH_EVENTS;
//   - the projections' lag behind the log during password sign-ins, and
//     the sign-in rate with the projections running against without;
//   - whole social sign-ins against an OpenID provider on loopback,
//     against the same provider calls made directly, and verify's latency
//     against the code exchange's;
//   - the binary's start-up on a log of a million users, from exec to a
//     green health check;
//   - password sign-ins of users with 10,000 earlier uses in their log,
//     each the first load of that user by a server's store (cold caches),
//     against users without history, alternating;
//   - password sign-ins while one client sprays bad passwords and unknown
//     usernames, against the same sign-ins undisturbed (and against the
//     attacker at a server without the per-address limit).
//
// The default run (no -only) uses smaller logs than the flags' defaults,
// unless the flags are given, so that it takes minutes.
//
// Usage: go run ./scripts/bench [-duration 10s] [-clients 50]
// [-rebuild-events 1000000] [-admin-interactions 1000000] [-startup-users 1000000]
// [-only signin|oidc|start|mfa|mfaapi|code|rebuild|admin|downstream|lag|abuse|social|history|startup] [-admin-clients 4]
// [-cpuprofile FILE] [-phase-profiles DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/oidcprovider"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/passkey"
	"github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/embedded"
	"github.com/authtrail/authtrail/projections"
	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long each measurement runs")
	clients := flag.Int("clients", 50, "concurrent clients for the start/append comparison")
	only := flag.String("only", "", "run one measurement: signin, oidc, start, mfa, mfaapi, code, rebuild, admin, downstream, lag, abuse, social, history or startup")
	rebuildEvents := flag.Int("rebuild-events", 1_000_000, "events in the log the rebuild reads")
	adminInteractions := flag.Int("admin-interactions", 1_000_000, "interactions in the read model the admin lists query")
	startupUsers := flag.Int("startup-users", 1_000_000, "users in the log the binary starts on (startup)")
	flag.IntVar(&adminClients, "admin-clients", adminClients, "concurrent clients of the admin lists")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.StringVar(&phaseProfiles, "phase-profiles", "", "write a CPU profile of each phase's turn of an alternating measurement to this folder")
	flag.Parse()
	sz := sizes{rebuildEvents: *rebuildEvents, adminInteractions: *adminInteractions, startupUsers: *startupUsers, historyEvents: 10_000}
	if *only == "" {
		// The whole run takes minutes, not a quarter of an hour, unless asked.
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["rebuild-events"] {
			sz.rebuildEvents = defaultRunSizes.rebuildEvents
		}
		if !set["admin-interactions"] {
			sz.adminInteractions = defaultRunSizes.adminInteractions
		}
		if !set["startup-users"] {
			sz.startupUsers = defaultRunSizes.startupUsers
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*duration, *clients, *only, sz); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// sizes are the synthetic logs' sizes.
type sizes struct {
	rebuildEvents     int // events in the log rebuilt
	adminInteractions int // interactions the admin lists query
	startupUsers      int // users in the log the binary starts on
	historyEvents     int // earlier uses of each long-lived user
}

// defaultRunSizes are the sizes of a run of every measurement.
var defaultRunSizes = sizes{rebuildEvents: 200_000, adminInteractions: 100_000, startupUsers: 100_000, historyEvents: 10_000}

// rig is the server under test: embedded NATS with fsync on every append,
// the API over real HTTP, and an SMTP server receiving codes.
type rig struct {
	options api.Options // the server's; the MFA measurement starts a second one like it
	clock   *apitest.Clock
	ns      *server.Server
	store   *eventstore.Store
	hasher  *password.Hasher
	url     string
	smtp    *apitest.SMTPServer
	events  map[string]domain.Registry // the server's catalogue
	srv     *api.Server
}

func run(d time.Duration, clients int, only string, sz sizes) error {
	dir, err := os.MkdirTemp("", "authtrail-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ns, err := embedded.Start(embedded.Options{DataDir: dir, SyncAlways: true, ServerName: "bench"})
	if err != nil {
		return err
	}
	defer embedded.Shutdown(ns)
	nc, err := embedded.Connect(ns, "bench")
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx := context.Background()
	store, err := eventstore.Open(ctx, nc, eventstore.Config{})
	if err != nil {
		return err
	}
	smtp, err := apitest.ListenSMTP()
	if err != nil {
		return err
	}
	defer smtp.Close()
	sie := settings.Default()
	sie.MFA = settings.MFA{Factors: []string{"Totp", "WebAuthn", "BackupCode"}, Policy: "NoPrompt"}
	hasher := password.NewHasher(0, nil)
	// The process holds the server as the binary does: with its memory limit.
	api.LimitMemory(ctx, hasher)
	// The MFA measurement moves this clock fast; interactions must outlive it.
	clock := apitest.NewClock(time.Now())
	expCfg := experience.Config{Settings: sie, TTL: 100000 * time.Hour, ReturnURL: "http://localhost:3000/callback",
		CookieKey: make([]byte, 32)}
	options := api.Options{
		Experience: expCfg, EmailConnector: true,
		WebAuthn: passkey.Config{RPID: apitest.WebAuthnRPID, Origins: []string{apitest.WebAuthnOrigin}},
		Hasher:   hasher, Clock: clock, EncryptionKey: make([]byte, 32), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ReadModelDB: filepath.Join(dir, projections.FileName),
	}
	// The issuer is the server's own address, which the provider's redirects name.
	ts := httptest.NewUnstartedServer(nil)
	defer ts.Close()
	options.PublicURL = "http://" + ts.Listener.Addr().String()
	options.OIDC = oidcprovider.Config{Clients: []oidcprovider.ClientConfig{benchClient}}
	srv, err := api.New(ctx, store, options)
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.SetReady(true)
	ts.Config.Handler = srv
	ts.Start()
	r := &rig{options: options, clock: clock, ns: ns, store: store, hasher: hasher, url: ts.URL, smtp: smtp, events: srv.Catalogue(), srv: srv}
	transport := &http.Transport{MaxIdleConns: 200, MaxIdleConnsPerHost: 200}

	workers := 2 * runtime.GOMAXPROCS(0)
	fmt.Printf("machine: %d cores (GOMAXPROCS), %s, fsync on every append\n\n", runtime.GOMAXPROCS(0), runtime.Version())
	// In this order: lag takes over the rig's projections (see measureLag).
	measurements := []struct {
		name string
		run  func() (string, error)
	}{
		{"signin", func() (string, error) { return measureSignIns(ctx, r.url, transport, hasher, workers, d) }},
		{"oidc", func() (string, error) { return measureAuthorizationCode(ctx, r.url, transport, workers, d) }},
		{"start", func() (string, error) { return measureStarts(ctx, r.url, transport, store, clients, d) }},
		{"mfa", func() (string, error) { return measureMFA(ctx, r, transport, workers, d) }},
		{"mfaapi", func() (string, error) { return measureMFAAPI(ctx, r, transport, workers, d) }},
		{"code", func() (string, error) { return measureCodes(ctx, r, transport, workers, d) }},
		{"rebuild", func() (string, error) { return measureRebuild(ctx, r, sz.rebuildEvents) }},
		{"admin", func() (string, error) { return measureAdmin(ctx, r, sz.adminInteractions, d) }},
		{"downstream", func() (string, error) { return measureDownstream(ctx, r, transport, workers, d) }},
		{"lag", func() (string, error) { return measureLag(ctx, r, transport, workers, d) }},
		{"abuse", func() (string, error) { return measureAbuse(ctx, r, transport, workers, d) }},
		{"social", func() (string, error) { return measureSocial(ctx, r, transport, workers, d) }},
		{"history", func() (string, error) { return measureHistory(ctx, r, transport, sz.historyEvents) }},
		{"startup", func() (string, error) { return measureStartup(ctx, sz.startupUsers) }},
	}
	known := false
	for _, m := range measurements {
		known = known || m.name == only
	}
	if only != "" && !known {
		return fmt.Errorf("-only %q: no such measurement", only)
	}
	for _, m := range measurements {
		if only != "" && only != m.name {
			continue
		}
		out, err := m.run()
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		fmt.Println(out)
	}
	return nil
}

// server starts another server like the rig's on its store, over HTTP,
// with the options change makes and read models of its own, in a file
// named after it (a database belongs to one server). stop closes both;
// until then its projections read the log.
func (r *rig) server(ctx context.Context, name string, change func(*api.Options)) (*api.Server, *httptest.Server, func(), error) {
	return r.serverOn(ctx, r.store, name, change)
}

// serverOn is server on another store of the rig's stream (one with caches
// of its own, say).
func (r *rig) serverOn(ctx context.Context, store *eventstore.Store, name string, change func(*api.Options)) (*api.Server, *httptest.Server, func(), error) {
	options := r.options
	options.ReadModelDB = filepath.Join(filepath.Dir(options.ReadModelDB), name+"-"+projections.FileName)
	if change != nil {
		change(&options)
	}
	srv, err := api.New(ctx, store, options)
	if err != nil {
		return nil, nil, nil, err
	}
	srv.SetReady(true)
	ts := httptest.NewServer(srv)
	return srv, ts, func() { ts.Close(); srv.Close() }, nil
}
