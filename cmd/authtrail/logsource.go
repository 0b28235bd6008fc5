package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/embedded"
	"github.com/authtrail/authtrail/filelock"
)

// sourceFlags are the flags of the commands that read a server's log
// (replay, projections): a running server's NATS or a stopped server's data
// directory (docs/audit.md, Commands).
type sourceFlags struct {
	config, natsURL, dataDir, natsUser, natsPassword *string
}

func addSourceFlags(fs *flag.FlagSet) sourceFlags {
	return sourceFlags{
		config:       fs.String("config", "", "the server's YAML config file"),
		natsURL:      fs.String("nats-url", "", "a running server's NATS (else nats.url, else nats.listen of the config)"),
		dataDir:      fs.String("data-dir", "", "a stopped server's data directory (else nats.dataDir of the config)"),
		natsUser:     fs.String("nats-user", "", "a nats.users entry with role audit, for a running server"),
		natsPassword: fs.String("nats-password", "", "its password (or AUTHTRAIL_NATS_PASSWORD)"),
	}
}

// logSource is an open connection to a server's log.
type logSource struct {
	nc    *nats.Conn
	store *eventstore.Store
	// dataDir is set when the log was opened from a stopped server's
	// directory, whose read models the command may then run itself.
	dataDir string
	ns      *server.Server
}

func (s *logSource) Close() {
	s.nc.Close()
	embedded.Shutdown(s.ns)
}

// remote reports whether the source is a running server.
func (s *logSource) remote() bool { return s.ns == nil }

// openSource connects to a running server's NATS when a URL is known (the
// flag, nats.url, or nats.listen), else opens the data directory of a
// stopped server. An explicit --data-dir wins.
func openSource(ctx context.Context, f sourceFlags) (*logSource, error) {
	cfg, err := LoadConfig(*f.config)
	if err != nil {
		return nil, err
	}
	url := *f.natsURL
	if url == "" && *f.dataDir == "" {
		url = cfg.NATS.URL
		if url == "" && cfg.NATS.Listen != "" {
			url = "nats://" + cfg.NATS.Listen
		}
	}
	if url != "" {
		return connectSource(ctx, url, *f.natsUser, firstNonEmpty(*f.natsPassword, os.Getenv("AUTHTRAIL_NATS_PASSWORD")))
	}
	dir := firstNonEmpty(*f.dataDir, cfg.NATS.DataDir)
	return openDataDir(ctx, dir)
}

func connectSource(ctx context.Context, url, user, password string) (*logSource, error) {
	// Refusals come back as the failed call's error; the default handler
	// would print them a second time.
	quiet := nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})
	opts := []nats.Option{nats.Name("authtrail-cli"), nats.Timeout(5 * time.Second), quiet}
	if user != "" {
		opts = append(opts, nats.UserInfo(user, password))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	store, err := eventstore.OpenExisting(ctx, nc, eventstore.Config{})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("%s: %w (is --nats-user a nats.users entry with role audit?)", url, err)
	}
	return &logSource{nc: nc, store: store}, nil
}

// openDataDir runs the embedded server on a stopped server's directory. A
// running server holds the directory's lock; two servers on one store would
// corrupt it, so that is refused.
func openDataDir(ctx context.Context, dir string) (*logSource, error) {
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); err != nil {
		return nil, fmt.Errorf("no event log in %s (want a server's nats.dataDir)", dir)
	}
	ns, err := embedded.Start(embedded.Options{DataDir: dir, SyncAlways: true, ServerName: "authtrail"})
	if errors.Is(err, filelock.ErrLocked) {
		return nil, fmt.Errorf("a server is running on %s: reach it through its nats.listen (--nats-url, --nats-user, --nats-password)", dir)
	}
	if err != nil {
		return nil, err
	}
	nc, err := embedded.Connect(ns, "authtrail-cli")
	if err != nil {
		embedded.Shutdown(ns)
		return nil, err
	}
	store, err := eventstore.OpenExisting(ctx, nc, eventstore.Config{})
	if err != nil {
		nc.Close()
		embedded.Shutdown(ns)
		return nil, fmt.Errorf("no event log in %s: %w", dir, err)
	}
	return &logSource{nc: nc, store: store, dataDir: dir, ns: ns}, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// quietLog is the log of a command's own components: warnings only.
func quietLog(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
