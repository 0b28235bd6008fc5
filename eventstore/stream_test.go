package eventstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/natstest"
)

func TestOpenCreatesTheEventStream(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{})
	srv.open(t, eventstore.Config{}) // opening again changes nothing

	info := streamInfo(t, store)
	cfg := info.Config
	checks := map[string]bool{
		"name":         store.Stream() == "EVENTS" && cfg.Name == "EVENTS",
		"subjects":     len(cfg.Subjects) == 1 && cfg.Subjects[0] == "events.>",
		"storage":      cfg.Storage == jetstream.FileStorage && cfg.Replicas == 1,
		"retention":    cfg.Retention == jetstream.LimitsPolicy && cfg.MaxAge == 0,
		"discard":      cfg.Discard == jetstream.DiscardNew && cfg.DiscardNewPerSubject && cfg.MaxMsgsPerSubject == 100_000,
		"dedup window": cfg.Duplicates == 2*time.Minute,
		"immutable":    cfg.DenyDelete && cfg.DenyPurge,
		"batches":      cfg.AllowAtomicPublish,
		"direct reads": cfg.AllowDirect, // one replica: always current
		"compression":  cfg.Compression == jetstream.S2Compression,
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("%s: unexpected config %+v", name, cfg)
		}
	}
}

func TestOpenUpdatesAStreamWithOtherSettings(t *testing.T) {
	srv := newServer(t)
	nc := natstest.NewConn(t, srv.ns)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = js.CreateStream(testContext(t), jetstream.StreamConfig{
		Name: "EVENTS", Subjects: []string{"events.>"}, Storage: jetstream.FileStorage,
		Duplicates: time.Minute, Description: "kept by Open",
	})
	if err != nil {
		t.Fatal(err)
	}

	store := natstest.OpenStore(t, nc, eventstore.Config{})

	cfg := streamInfo(t, store).Config
	if !cfg.AllowAtomicPublish || !cfg.DenyDelete || cfg.Duplicates != 2*time.Minute || cfg.Discard != jetstream.DiscardNew {
		t.Fatalf("stream not updated: %+v", cfg)
	}
	if cfg.Description != "kept by Open" {
		t.Fatalf("description %q lost", cfg.Description)
	}
	appendOne(t, store, newSubject("user"), 0, 0, "works")
}

func TestOpenReportsARefusedUpdate(t *testing.T) {
	srv := newServer(t)
	nc := natstest.NewConn(t, srv.ns)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// The storage type of a stream cannot be changed.
	if _, err := js.CreateStream(testContext(t), jetstream.StreamConfig{
		Name: "EVENTS", Subjects: []string{"events.>"}, Storage: jetstream.MemoryStorage,
	}); err != nil {
		t.Fatal(err)
	}

	_, err = eventstore.Open(testContext(t), nc, eventstore.Config{})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("got %v, want a refused update", err)
	}
	t.Log(err)
}

func streamInfo(t testing.TB, store *eventstore.Store) *jetstream.StreamInfo {
	t.Helper()
	stream, err := store.JetStream().Stream(testContext(t), store.Stream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	return info
}
