// Command bench measures authtrail's hot paths against baselines taken in
// the same run, because the machines are shared and noisy:
//
//   - full password sign-ins (start, password verification, identification,
//     submit) over HTTP at 2x cores concurrency, against raw argon2id
//     verifies at the same concurrency;
//   - PUT /api/experience at 50 concurrent clients with fsync on, against
//     bare fsync'd expected-sequence JetStream appends to distinct subjects.
//
// Usage: go run ./scripts/bench [-duration 10s] [-clients 50]
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
	"runtime"
	"time"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/embedded"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long each measurement runs")
	clients := flag.Int("clients", 50, "concurrent clients for the start/append comparison")
	flag.Parse()
	if err := run(*duration, *clients); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(d time.Duration, clients int) error {
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
	hasher := password.NewHasher(0, nil)
	srv, err := api.New(ctx, store, api.Options{
		Experience: experience.Config{Settings: settings.Default(), TTL: time.Hour,
			ReturnURL: "http://localhost:3000/callback", CookieKey: make([]byte, 32)},
		Hasher: hasher, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	srv.SetReady(true)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	transport := &http.Transport{MaxIdleConns: 200, MaxIdleConnsPerHost: 200}

	workers := 2 * runtime.GOMAXPROCS(0)
	fmt.Printf("machine: %d cores (GOMAXPROCS), %s, fsync on every append\n\n", runtime.GOMAXPROCS(0), runtime.Version())

	signIns, err := measureSignIns(ctx, ts.URL, transport, hasher, workers, d)
	if err != nil {
		return err
	}
	fmt.Println(signIns)

	starts, err := measureStarts(ctx, ts.URL, transport, store, clients, d)
	if err != nil {
		return err
	}
	fmt.Println(starts)
	return nil
}
