package workers_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers"
)

func subscribe(t *testing.T, e env, cfg workers.ConsumerConfig) (*workers.Subscriber, <-chan *message.Message) {
	t.Helper()
	sub, err := workers.NewSubscriber(natsConn(t, e), cfg, workers.SubscriberOptions{CloseTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := sub.Subscribe(testContext(t), cfg.Durable)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub, msgs
}

func next(t *testing.T, msgs <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case msg, ok := <-msgs:
		if !ok {
			t.Fatal("subscription ended")
		}
		return msg
	case <-time.After(10 * time.Second):
		t.Fatal("no message after 10s")
		return nil
	}
}

func TestNackRedeliversAfterBackOffAndHoldsTheNextEvent(t *testing.T) {
	e := newEnv(t)
	cfg := consumerConfig("wrk_nack")
	cfg.BackOff = []time.Duration{300 * time.Millisecond}
	_, msgs := subscribe(t, e, cfg)
	agg := newAggregate()
	envs := e.append(t, agg, "", "first", "second")

	msg := next(t, msgs)
	nackedAt := time.Now()
	msg.Nack()

	again := next(t, msgs)
	if again.UUID != envs[0].ID {
		t.Fatalf("after a Nack got %s, want the same event %s first", again.UUID, envs[0].ID)
	}
	if wait := time.Since(nackedAt); wait < 250*time.Millisecond {
		t.Errorf("redelivered after %s, want the 300ms back-off", wait)
	}
	if n := again.Metadata.Get(workers.MetadataNumDelivered); n != "2" {
		t.Errorf("num_delivered %s, want 2", n)
	}
	again.Ack()
	then := next(t, msgs)
	if then.UUID != envs[1].ID {
		t.Errorf("then got %s, want %s", then.UUID, envs[1].ID)
	}
	then.Ack()
}

func TestSubscriptionEndsWithContextAndServesOnce(t *testing.T) {
	e := newEnv(t)
	sub, err := workers.NewSubscriber(natsConn(t, e), consumerConfig("wrk_once"), workers.SubscriberOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	msgs, err := sub.Subscribe(ctx, "wrk_once")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Subscribe(ctx, "wrk_once"); err == nil {
		t.Error("a second subscription on one consumer was accepted")
	}
	cancel()
	select {
	case _, ok := <-msgs:
		if ok {
			t.Error("got a message from an empty stream")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel still open 5s after the context ended")
	}
	if err := sub.Close(); err != nil {
		t.Error(err)
	}
}

func TestSubscriberRejectsBadConfig(t *testing.T) {
	e := newEnv(t)
	for name, cfg := range map[string]workers.ConsumerConfig{
		"no durable":       {},
		"dotted durable":   {Durable: "wrk.x"},
		"negative backoff": {Durable: "wrk_x", BackOff: []time.Duration{-time.Second}},
	} {
		if _, err := workers.NewSubscriber(natsConn(t, e), cfg, workers.SubscriberOptions{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSlowHandlerKeepsItsMessagePastAckWait(t *testing.T) {
	e := newEnv(t)
	cfg := consumerConfig("wrk_patient")
	cfg.AckWait = 400 * time.Millisecond
	_, msgs := subscribe(t, e, cfg)
	// Another process serving the same worker waits for work meanwhile.
	_, otherProcess := subscribe(t, e, cfg)
	e.append(t, newAggregate(), "", "slow")

	var msg *message.Message
	select {
	case msg = <-msgs:
	case msg = <-otherProcess:
		msgs, otherProcess = otherProcess, msgs
	case <-time.After(10 * time.Second):
		t.Fatal("no message after 10s")
	}
	// The subscriber reports progress, so the server does not hand the
	// message to the other process.
	select {
	case dup := <-otherProcess:
		t.Fatalf("redelivered to another process while in progress: %s", dup.UUID)
	case <-time.After(3 * cfg.AckWait):
	}
	msg.Ack()
	ci := settled(t, natsConn(t, e), "wrk_patient")
	if ci.Delivered.Consumer != 1 || ci.NumRedelivered != 0 {
		t.Errorf("delivered %d times, %d redelivered; want once", ci.Delivered.Consumer, ci.NumRedelivered)
	}
}

func TestCloseGivesUpOnAStuckHandler(t *testing.T) {
	e := newEnv(t)
	cfg := consumerConfig("wrk_stuck")
	cfg.AckWait = 500 * time.Millisecond
	sub, err := workers.NewSubscriber(natsConn(t, e), cfg, workers.SubscriberOptions{CloseTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := sub.Subscribe(testContext(t), cfg.Durable)
	if err != nil {
		t.Fatal(err)
	}
	env := e.append(t, newAggregate(), "", "stuck")[0]
	next(t, msgs) // and never settled

	start := time.Now()
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Close took %s with a 100ms close timeout", took)
	}
	// Left to the server, the event comes back after AckWait.
	_, again := subscribe(t, e, cfg)
	msg := next(t, again)
	if msg.UUID != env.ID || msg.Metadata.Get(workers.MetadataNumDelivered) != "2" {
		t.Errorf("got %s (delivery %s), want %s redelivered", msg.UUID, msg.Metadata.Get(workers.MetadataNumDelivered), env.ID)
	}
	msg.Ack()
}

// With Concurrency 3 the handler holds three messages at once (and no
// more); each is handled and acknowledged once.
func TestConcurrencyHandsOutThatManyAtOnce(t *testing.T) {
	e := newEnv(t)
	agg := newAggregate()
	e.append(t, agg, "c", "1", "2", "3", "4", "5", "6")
	var mu sync.Mutex
	inFlight, most := 0, 0
	release := make(chan struct{})
	got := newReceived()
	cfg := consumerConfig("wrk_parallel")
	cfg.Concurrency = 3
	e.start(t, fastOptions(), func(r *workers.Router) {
		if err := r.AddHandler("parallel", cfg, func(msg *message.Message) error {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			mu.Unlock()
			got.add(msg)
			<-release
			mu.Lock()
			inFlight--
			mu.Unlock()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	got.wait(t, 3)
	time.Sleep(200 * time.Millisecond) // a fourth would have come by now
	mu.Lock()
	if inFlight != 3 {
		t.Errorf("%d messages in the handler, want 3", inFlight)
	}
	mu.Unlock()
	close(release)
	msgs := got.wait(t, 6)
	info := settled(t, natsConn(t, e), "wrk_parallel")
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.UUID] {
			t.Errorf("message %s handled twice", m.UUID)
		}
		seen[m.UUID] = true
	}
	if most != 3 || len(msgs) != 6 || info.AckFloor.Consumer != 6 || info.NumRedelivered != 0 {
		t.Fatalf("most in flight %d, handled %d, ack floor %d, redelivered %d; want 3, 6, 6, 0", most, len(msgs), info.AckFloor.Consumer, info.NumRedelivered)
	}
}

type other struct{}

func (other) EventType() string { return "test.other" }

// With Types, the handler sees only those events; the others are
// acknowledged without it, so the consumer settles past them.
func TestTypesPassOverOtherEvents(t *testing.T) {
	e := newEnv(t)
	cfg := consumerConfig("wrk_types")
	cfg.Types = []string{(happened{}).EventType()}
	_, msgs := subscribe(t, e, cfg)
	agg := newAggregate()
	for i, ev := range []domain.Event{other{}, happened{Note: "wanted"}, other{}} {
		envs, err := e.store.Append(testContext(t), eventstore.Metadata{}, eventstore.Write{
			Subject: agg.subject, ExpectedSeq: agg.seq, Version: agg.version, Events: []eventstore.Pending{{Event: ev}}})
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		agg.seq, agg.version = envs[0].Seq, agg.version+1
	}
	msg := next(t, msgs)
	if msg.Metadata.Get(eventstore.HeaderType) != "test.happened" {
		t.Fatalf("got %s, want the happened event", msg.Metadata.Get(eventstore.HeaderType))
	}
	msg.Ack()
	settled(t, natsConn(t, e), "wrk_types")
	select {
	case m := <-msgs:
		t.Fatalf("the handler got %s too", m.Metadata.Get(eventstore.HeaderType))
	case <-time.After(200 * time.Millisecond):
	}
}
