package workers_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/natstest"
	"github.com/authtrail/authtrail/workers"
)

type happened struct {
	Note string `json:"note"`
}

func (happened) EventType() string { return "test.happened" }

// env is one JetStream server with an event store on it, as a test's
// world: the store appends, routers consume on connections of their own.
type env struct {
	ns    *natsserver.Server
	store *eventstore.Store
}

func newEnv(t *testing.T) env {
	t.Helper()
	ns := natstest.RunBasicJetStreamServer(t)
	return env{ns: ns, store: natstest.OpenStore(t, natstest.NewConn(t, ns), eventstore.Config{})}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// aggregate is one interaction the test appends events to.
type aggregate struct {
	subject string
	seq     uint64
	version uint64
}

func newAggregate() *aggregate {
	return &aggregate{subject: eventstore.MustSubject("interaction", domain.RandomIDs{}.NewID())}
}

func (e env) append(t *testing.T, agg *aggregate, correlationID string, notes ...string) []eventstore.Envelope {
	t.Helper()
	var stored []eventstore.Envelope
	for _, note := range notes {
		envs, err := e.store.Append(testContext(t), eventstore.Metadata{CorrelationID: correlationID}, eventstore.Write{
			Subject: agg.subject, ExpectedSeq: agg.seq, Version: agg.version,
			Events: []eventstore.Pending{{Event: happened{Note: note}}},
		})
		if err != nil {
			t.Fatalf("append %q: %v", note, err)
		}
		agg.seq, agg.version = envs[0].Seq, agg.version+1
		stored = append(stored, envs...)
	}
	return stored
}

// fastOptions keeps retries and timeouts short so tests stay quick.
func fastOptions() workers.RouterOptions {
	return workers.RouterOptions{
		Retry: middleware.Retry{
			MaxRetries: 2, InitialInterval: 10 * time.Millisecond, MaxInterval: 20 * time.Millisecond,
			Multiplier: 2, MaxElapsedTime: 2 * time.Second,
		},
		HandlerTimeout: 2 * time.Second,
		CloseTimeout:   5 * time.Second,
	}
}

func consumerConfig(durable string) workers.ConsumerConfig {
	return workers.ConsumerConfig{
		Durable:        durable,
		FilterSubjects: []string{"events.interaction.>"},
		BackOff:        []time.Duration{50 * time.Millisecond},
		AckWait:        5 * time.Second,
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// runningRouter is a router whose Run goroutine the test can stop and
// wait for.
type runningRouter struct {
	*workers.Router
	nc   *nats.Conn
	done chan error
}

// start builds a router on a connection of its own, lets add register its
// handlers, runs it and waits until it is subscribed.
func (e env) start(t *testing.T, opts workers.RouterOptions, add func(r *workers.Router)) *runningRouter {
	t.Helper()
	nc := natstest.NewConn(t, e.ns)
	r, err := workers.NewRouter(nc, quietLogger(), opts)
	if err != nil {
		t.Fatalf("new router: %v", err)
	}
	add(r)
	rr := &runningRouter{Router: r, nc: nc, done: make(chan error, 1)}
	go func() { rr.done <- r.Run(context.Background()) }()
	select {
	case <-r.Running():
	case err := <-rr.done:
		t.Fatalf("router stopped before running: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("router not running after 10s")
	}
	t.Cleanup(func() { rr.stop(t) })
	return rr
}

// stop closes the router and waits for Run to return; it may be called
// more than once.
func (rr *runningRouter) stop(t *testing.T) {
	t.Helper()
	if err := rr.Close(); err != nil {
		t.Errorf("close router: %v", err)
	}
	select {
	case err, ok := <-rr.done:
		if ok && err != nil {
			t.Errorf("run: %v", err)
		}
		if ok {
			close(rr.done)
		}
	case <-time.After(10 * time.Second):
		t.Error("Run did not return 10s after Close")
	}
}

// received records what a handler saw.
type received struct {
	mu   sync.Mutex
	msgs []*message.Message
	got  chan struct{}
}

func newReceived() *received { return &received{got: make(chan struct{}, 100)} }

func (r *received) add(msg *message.Message) {
	r.mu.Lock()
	r.msgs = append(r.msgs, msg.Copy())
	r.mu.Unlock()
	r.got <- struct{}{}
}

// wait returns once n messages have been recorded in all.
func (r *received) wait(t *testing.T, n int) []*message.Message {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		if len(r.msgs) >= n {
			msgs := append([]*message.Message(nil), r.msgs...)
			r.mu.Unlock()
			return msgs
		}
		r.mu.Unlock()
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("got %d messages after 10s, want %d", len(r.msgs), n)
		}
	}
}

func (r *received) uuids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, m := range r.msgs {
		ids = append(ids, m.UUID)
	}
	return ids
}

// settled waits until the consumer has nothing pending or unacknowledged
// and returns its state.
func settled(t *testing.T, nc *nats.Conn, durable string) *jetstream.ConsumerInfo {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(testContext(t), eventstore.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	// Every test appends only events its consumers select, so settled
	// means acked up to the last one. NumPending alone is not enough: the
	// server counts a new message for its consumers asynchronously, so it
	// can read 0 just after an append returned.
	last := stream.CachedInfo().State.LastSeq
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := js.Consumer(testContext(t), eventstore.DefaultStream, durable)
		if err != nil {
			t.Fatalf("consumer %s: %v", durable, err)
		}
		ci := info.CachedInfo()
		if ci.NumPending == 0 && ci.NumAckPending == 0 && ci.AckFloor.Stream >= last {
			return ci
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer %s not settled: pending %d, ack pending %d, ack floor %d of %d",
				durable, ci.NumPending, ci.NumAckPending, ci.AckFloor.Stream, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
