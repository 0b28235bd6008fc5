// Package projtest runs projections on a real embedded JetStream server
// and a real SQLite file, for the tests of projections and its read models.
package projtest

import (
	"context"
	"log/slog"
	"path/filepath"
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
)

// Context is bounded, so a wait that never ends fails its test.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Env is an event store and a read-model database.
type Env struct {
	Server *server.Server
	Store  *eventstore.Store
	// DBPath is the database file; DB is open on it.
	DBPath string
	DB     *projections.DB
}

// NewEnv starts a server on a fresh directory and opens Env on it.
func NewEnv(t testing.TB) Env {
	return OpenEnv(t, natstest.RunBasicJetStreamServer(t), filepath.Join(t.TempDir(), projections.FileName))
}

// OpenEnv opens Env on a running server and the database at dbPath.
func OpenEnv(t testing.TB, ns *server.Server, dbPath string) Env {
	t.Helper()
	store := natstest.OpenStore(t, natstest.NewConn(t, ns), eventstore.Config{})
	return Env{Server: ns, Store: store, DBPath: dbPath, DB: OpenDB(t, dbPath)}
}

// OpenDB opens the database at path until the end of the test.
func OpenDB(t testing.TB, path string) *projections.DB {
	t.Helper()
	db, err := projections.OpenDB(Context(t), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Start runs the projections on their own connection until the end of the
// test (or the host's Stop).
func (e Env) Start(t testing.TB, ps ...projections.Projection) *projections.Host {
	t.Helper()
	js, err := jetstream.New(natstest.NewConn(t, e.Server))
	if err != nil {
		t.Fatal(err)
	}
	h, err := projections.Start(Context(t), e.DB, js, e.Store.Stream(), Logger(t), ps...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	return h
}

// Logger writes to the test's output.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// AppendUser records events on user userID, as a command would, and
// returns their envelopes.
func AppendUser(t testing.TB, store *eventstore.Store, userID string, events ...domain.Event) []eventstore.Envelope {
	return Append(t, store, eventstore.MustSubject(user.AggregateType, userID), events...)
}

// Append records events on subject, as a command would, and returns their
// envelopes.
func Append(t testing.TB, store *eventstore.Store, subject string, events ...domain.Event) []eventstore.Envelope {
	t.Helper()
	ctx := Context(t)
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
		t.Fatalf("append to %s: %v", subject, err)
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
