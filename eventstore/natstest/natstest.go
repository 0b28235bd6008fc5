// Package natstest runs real JetStream servers for tests, in the style of
// nats-server's own RunBasicJetStreamServer.
package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/embedded"
)

// RunBasicJetStreamServer starts a JetStream server on a fresh temporary
// directory. Writes are not fsynced, which keeps tests fast.
func RunBasicJetStreamServer(t testing.TB) *server.Server {
	t.Helper()
	return RunServerWithDataDir(t, t.TempDir(), false)
}

// RunServerWithDataDir starts a JetStream server on dir, so a test can stop
// it and start another on the same data.
func RunServerWithDataDir(t testing.TB, dir string, syncAlways bool) *server.Server {
	t.Helper()
	ns, err := embedded.Start(embedded.Options{DataDir: dir, SyncAlways: syncAlways, ServerName: "natstest"})
	if err != nil {
		t.Fatalf("natstest: start server: %v", err)
	}
	t.Cleanup(func() { embedded.Shutdown(ns) })
	return ns
}

// NewConn opens an in-process connection to ns, closed when the test ends.
func NewConn(t testing.TB, ns *server.Server) *nats.Conn {
	t.Helper()
	nc, err := embedded.Connect(ns, t.Name())
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// OpenStore opens an event store with cfg on nc.
func OpenStore(t testing.TB, nc *nats.Conn, cfg eventstore.Config) *eventstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store, err := eventstore.Open(ctx, nc, cfg)
	if err != nil {
		t.Fatalf("natstest: open store: %v", err)
	}
	return store
}

// NewStore starts a server and opens an event store with the default
// configuration on a connection of its own.
func NewStore(t testing.TB) *eventstore.Store {
	t.Helper()
	return OpenStore(t, NewConn(t, RunBasicJetStreamServer(t)), eventstore.Config{})
}
