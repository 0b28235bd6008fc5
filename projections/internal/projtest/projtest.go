// Package projtest runs projections on a real embedded JetStream server
// for the tests of projections and its read models.
package projtest

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/natstest"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/projections/devices"
)

// Context is bounded, so a wait that never ends fails its test.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Env is an event store with the devices projection and a runner, each on
// its own connection as in the server.
type Env struct {
	Server  *server.Server
	Store   *eventstore.Store
	Runner  *projections.Runner
	Devices *devices.Projection
}

// NewEnv starts a server on a fresh directory and opens Env on it.
func NewEnv(t testing.TB) Env {
	return OpenEnv(t, natstest.RunBasicJetStreamServer(t))
}

// OpenEnv opens Env on a running server.
func OpenEnv(t testing.TB, ns *server.Server) Env {
	t.Helper()
	store := natstest.OpenStore(t, natstest.NewConn(t, ns), eventstore.Config{})
	proj, err := devices.New(Context(t), store.JetStream(), store.Replicas())
	if err != nil {
		t.Fatal(err)
	}
	runner := projections.NewRunner(natstest.NewConn(t, ns), store.Stream(), Logger(t))
	return Env{Server: ns, Store: store, Runner: runner, Devices: proj}
}

// Logger writes to the test's output.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Running is a Run in the background.
type Running struct {
	cancel context.CancelFunc
	done   chan error
}

// Start runs p until Stop or the end of the test.
func Start(t testing.TB, r *projections.Runner, p projections.Projection) *Running {
	ctx, cancel := context.WithCancel(context.Background())
	run := &Running{cancel: cancel, done: make(chan error, 1)}
	go func() { run.done <- r.Run(ctx, p) }()
	t.Cleanup(func() {
		if err := run.Stop(); err != nil {
			t.Logf("run ended with: %v", err)
		}
	})
	return run
}

// Stop ends the run and returns Run's result; later calls return nil.
func (run *Running) Stop() error {
	run.cancel()
	err, ok := <-run.done
	if ok {
		close(run.done)
	}
	return err
}

// Ended waits for Run to return by itself, failing the test after timeout.
func (run *Running) Ended(t testing.TB, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-run.done:
		close(run.done)
		return err
	case <-time.After(timeout):
		t.Fatalf("Run still running after %s", timeout)
		return nil
	}
}

// AppendUser records events on user userID, as a command would, and
// returns their envelopes.
func AppendUser(t testing.TB, store *eventstore.Store, userID string, events ...domain.Event) []eventstore.Envelope {
	t.Helper()
	ctx := Context(t)
	subject := eventstore.MustSubject(user.AggregateType, userID)
	var last *eventstore.Tx
	err := store.Run(ctx, eventstore.Metadata{Actor: "test"}, func(tx *eventstore.Tx) error {
		last = tx
		if _, err := tx.Load(ctx, subject); err != nil {
			return err
		}
		tx.Append(subject, events...)
		return nil
	})
	if err != nil {
		t.Fatalf("append to user %s: %v", userID, err)
	}
	return last.Appended()
}

// PublishRaw stores an event as eventstore would, but with a payload and
// schema of the test's choosing, and returns its stream sequence.
func PublishRaw(t testing.TB, js jetstream.JetStream, subject, eventType string, schema int, data []byte) uint64 {
	t.Helper()
	aggType, aggID, err := eventstore.ParseSubject(subject)
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(subject)
	msg.Header.Set(eventstore.HeaderType, eventType)
	msg.Header.Set(eventstore.HeaderSchema, strconv.Itoa(schema))
	msg.Header.Set(eventstore.HeaderAggType, aggType)
	msg.Header.Set(eventstore.HeaderAggID, aggID)
	msg.Header.Set(eventstore.HeaderTime, time.Now().UTC().Format(time.RFC3339Nano))
	msg.Data = data
	ack, err := js.PublishMsg(Context(t), msg)
	if err != nil {
		t.Fatalf("publish %s: %v", eventType, err)
	}
	return ack.Sequence
}
