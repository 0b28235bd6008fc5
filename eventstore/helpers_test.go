package eventstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/natstest"
)

type noted struct {
	Text string `json:"text"`
}

func (noted) EventType() string { return "test.noted" }

// renamed declares a schema version, as an event whose payload changed would.
type renamed struct {
	Name string `json:"name"`
}

func (renamed) EventType() string  { return "test.renamed" }
func (renamed) SchemaVersion() int { return 2 }

// failed is a failure event; staged is an event the contract keeps on refusal.
type failed struct {
	Text string `json:"text"`
}
type staged struct {
	Text string `json:"text"`
}

func (failed) EventType() string { return "test.failed" }
func (failed) RecordsFailure()   {}
func (staged) EventType() string { return "test.staged" }
func (staged) KeptOnRefusal()    {}

// types lists the event types stored on subject.
func types(t testing.TB, store *eventstore.Store, subject string) []string {
	t.Helper()
	envs, _ := mustLoad(t, store, subject)
	out := make([]string, len(envs))
	for i, env := range envs {
		out[i] = env.Type
	}
	return out
}

var registry = domain.Registry{
	"test.noted":   func() domain.Event { return &noted{} },
	"test.renamed": func() domain.Event { return &renamed{} },
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newSubject returns a subject no other test uses.
func newSubject(aggType string) string {
	return eventstore.MustSubject(aggType, domain.RandomIDs{}.NewID())
}

func note(text string) eventstore.Pending {
	return eventstore.Pending{Event: noted{Text: text}}
}

// appendOne appends a single event and fails the test on error.
func appendOne(t testing.TB, store *eventstore.Store, subject string, expected, version uint64, text string) eventstore.Envelope {
	t.Helper()
	envs, err := store.Append(testContext(t), eventstore.Metadata{}, eventstore.Write{
		Subject: subject, ExpectedSeq: expected, Version: version, Events: []eventstore.Pending{note(text)},
	})
	if err != nil {
		t.Fatalf("append %q to %s: %v", text, subject, err)
	}
	return envs[0]
}

func mustLoad(t testing.TB, store *eventstore.Store, subject string) ([]eventstore.Envelope, uint64) {
	t.Helper()
	envs, last, err := store.Load(testContext(t), subject)
	if err != nil {
		t.Fatalf("load %s: %v", subject, err)
	}
	return envs, last
}

// server is a JetStream server for one test; several stores on their own
// connections stand for several authtrail processes.
type server struct{ ns *natsserver.Server }

func newServer(t testing.TB) server {
	return server{ns: natstest.RunBasicJetStreamServer(t)}
}

func (s server) open(t testing.TB, cfg eventstore.Config) *eventstore.Store {
	t.Helper()
	return natstest.OpenStore(t, natstest.NewConn(t, s.ns), cfg)
}

// uncached opens a store that reads everything from the server.
func (s server) uncached(t testing.TB) *eventstore.Store {
	return s.open(t, eventstore.Config{CacheSize: -1})
}

func texts(t testing.TB, envs []eventstore.Envelope) []string {
	t.Helper()
	events, err := eventstore.Decode(envs, registry)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.(*noted).Text
	}
	return out
}

func isConflict(err error) bool { return errors.Is(err, eventstore.ErrConflict) }
