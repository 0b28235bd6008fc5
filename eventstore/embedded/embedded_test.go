package embedded_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore/embedded"
)

func TestStartInProcessOnly(t *testing.T) {
	dir := t.TempDir()
	ns, err := embedded.Start(embedded.Options{DataDir: dir, SyncAlways: true, ServerName: "authtrail-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer embedded.Shutdown(ns)

	cfg := ns.JetStreamConfig()
	if cfg == nil || !cfg.SyncAlways || ns.StoreDir() == "" {
		t.Fatalf("JetStream config %+v, store dir %q", cfg, ns.StoreDir())
	}
	if ns.Addr() != nil {
		t.Fatalf("server listens on %v, want no listener", ns.Addr())
	}

	nc, err := embedded.Connect(ns, "embedded-test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		t.Fatalf("JetStream not available: %v", err)
	}
}

func TestStartWithListener(t *testing.T) {
	ns, err := embedded.Start(embedded.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:-1",
		Users: []embedded.User{{Name: "reader", Password: "secret"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer embedded.Shutdown(ns)
	if cfg := ns.JetStreamConfig(); cfg == nil || cfg.SyncAlways {
		t.Fatalf("JetStream config %+v, want interval syncing", cfg)
	}

	nc, err := nats.Connect(ns.ClientURL(), nats.UserInfo("reader", "secret"))
	if err != nil {
		t.Fatalf("connect over TCP: %v", err)
	}
	defer nc.Close()
}

func TestStartValidatesOptions(t *testing.T) {
	if _, err := embedded.Start(embedded.Options{}); err == nil {
		t.Error("started without a data dir")
	}
	if _, err := embedded.Start(embedded.Options{DataDir: t.TempDir(), Listen: "nonsense"}); err == nil {
		t.Error("started with a malformed listen address")
	}
}
