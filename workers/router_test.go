package workers_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers"
)

func TestHandlerReceivesEventsInOrderWithMetadata(t *testing.T) {
	e := newEnv(t)
	got := newReceived()
	e.start(t, fastOptions(), func(r *workers.Router) {
		if err := r.AddHandler("order", consumerConfig("wrk_order"), func(msg *message.Message) error {
			got.add(msg)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})

	first, second := newAggregate(), newAggregate()
	var want []eventstore.Envelope
	want = append(want, e.append(t, first, "corr-1", "a1", "a2")...)
	want = append(want, e.append(t, second, "corr-2", "b1")...)
	want = append(want, e.append(t, first, "corr-1", "a3")...)

	msgs := got.wait(t, len(want))
	for i, msg := range msgs {
		env := want[i]
		if msg.UUID != env.ID {
			t.Errorf("message %d: UUID %s, want event id %s", i, msg.UUID, env.ID)
		}
		checkMetadata(t, msg, map[string]string{
			eventstore.HeaderType:          "test.happened",
			eventstore.HeaderCorrelationID: env.CorrelationID,
			eventstore.HeaderAggID:         env.AggID,
			eventstore.HeaderAggVersion:    strconv.FormatUint(env.AggVersion, 10),
			workers.MetadataSeq:            strconv.FormatUint(env.Seq, 10),
			workers.MetadataSubject:        env.Subject,
			workers.MetadataNumDelivered:   "1",
		})
		if !jsonEqual(t, msg.Payload, env.Data) {
			t.Errorf("message %d: payload %s, want %s", i, msg.Payload, env.Data)
		}
	}
}

func TestDurableConsumerResumesAfterRestart(t *testing.T) {
	e := newEnv(t)
	agg := newAggregate()
	handler := func(got *received) func(*workers.Router) {
		return func(r *workers.Router) {
			if err := r.AddHandler("resume", consumerConfig("wrk_resume"), func(msg *message.Message) error {
				got.add(msg)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}

	before := newReceived()
	first := e.start(t, fastOptions(), handler(before))
	handled := e.append(t, agg, "", "1", "2")
	before.wait(t, 2)
	settled(t, first.nc, "wrk_resume")
	first.stop(t)
	if first.nc.IsClosed() {
		t.Fatal("closing the router closed the connection it was given")
	}

	missed := e.append(t, agg, "", "3", "4")
	after := newReceived()
	e.start(t, fastOptions(), handler(after))
	missed = append(missed, e.append(t, agg, "", "5")...)
	after.wait(t, 3)

	if got, want := after.uuids(), ids(missed); !slices.Equal(got, want) {
		t.Errorf("after restart got %v, want %v (already acked: %v)", got, want, ids(handled))
	}
}

func TestCloseWaitsForHandlerInFlight(t *testing.T) {
	e := newEnv(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var handlerErr atomic.Value
	rr := e.start(t, fastOptions(), func(r *workers.Router) {
		if err := r.AddHandler("slow", consumerConfig("wrk_slow"), func(msg *message.Message) error {
			close(entered)
			<-release
			// Stopping must not cancel the work in flight.
			handlerErr.Store(fmtErr(msg.Context().Err()))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	env := e.append(t, newAggregate(), "", "slow")[0]
	<-entered

	closed := make(chan struct{})
	go func() { rr.stop(t); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while a handler was running")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return after the handler finished")
	}
	if err := handlerErr.Load(); err != "<nil>" {
		t.Errorf("handler context ended during close: %v", err)
	}
	if ci := settled(t, rr.nc, "wrk_slow"); ci.AckFloor.Stream != env.Seq {
		t.Errorf("ack floor %d, want %d", ci.AckFloor.Stream, env.Seq)
	}
	if n := poisonCount(t, rr, "slow"); n != 0 {
		t.Errorf("%d poisoned messages, want none", n)
	}
}

func TestRunEndsWithContext(t *testing.T) {
	e := newEnv(t)
	r, err := workers.NewRouter(natsConn(t, e), quietLogger(), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddHandler("idle", consumerConfig("wrk_idle"), func(*message.Message) error { return nil }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	<-r.Running()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestAddHandlerRejectsBadNamesAndDuplicates(t *testing.T) {
	e := newEnv(t)
	r, err := workers.NewRouter(natsConn(t, e), quietLogger(), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	ok := func(*message.Message) error { return nil }
	if err := r.AddHandler("a.b", workers.ConsumerConfig{}, ok); err == nil {
		t.Error("a dotted handler name was accepted")
	}
	if err := r.AddHandler("one", workers.ConsumerConfig{}, ok); err != nil {
		t.Fatal(err)
	}
	if err := r.AddHandler("one", workers.ConsumerConfig{Durable: "other"}, ok); err == nil {
		t.Error("a duplicate handler name was accepted")
	}
	if err := r.AddHandler("two", workers.ConsumerConfig{Durable: "wrk_one"}, ok); err == nil {
		t.Error("two handlers on one durable were accepted")
	}
	if err := r.Close(); err != nil {
		t.Errorf("close before run: %v", err)
	}
}

func checkMetadata(t *testing.T, msg *message.Message, want map[string]string) {
	t.Helper()
	for key, value := range want {
		if got := msg.Metadata.Get(key); got != value {
			t.Errorf("message %s: metadata %s = %q, want %q", msg.UUID, key, got, value)
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("payload %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("payload %s: %v", b, err)
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return string(xs) == string(ys)
}

func ids(envs []eventstore.Envelope) []string {
	var out []string
	for _, env := range envs {
		out = append(out, env.ID)
	}
	return out
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
