package workers_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers"
)

func TestFailingHandlerIsRetriedAndAckedOnce(t *testing.T) {
	e := newEnv(t)
	var attempts atomic.Int32
	rr := e.start(t, fastOptions(), func(r *workers.Router) {
		if err := r.AddHandler("flaky", consumerConfig("wrk_flaky"), func(*message.Message) error {
			if attempts.Add(1) <= 2 {
				return errors.New("smtp server busy")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	env := e.append(t, newAggregate(), "", "once")[0]

	ci := settled(t, rr.nc, "wrk_flaky")
	if n := attempts.Load(); n != 3 {
		t.Errorf("handler ran %d times, want 3", n)
	}
	if ci.AckFloor.Stream != env.Seq {
		t.Errorf("ack floor %d, want %d", ci.AckFloor.Stream, env.Seq)
	}
	// Retries happen in process: JetStream delivered the event once.
	if ci.Delivered.Consumer != 1 || ci.NumRedelivered != 0 {
		t.Errorf("delivered %d times, %d redelivered; want once", ci.Delivered.Consumer, ci.NumRedelivered)
	}
	if n := poisonCount(t, rr, "flaky"); n != 0 {
		t.Errorf("%d poisoned messages, want none", n)
	}
}

func TestAlwaysFailingEventGoesToPoisonAndHandlerMovesOn(t *testing.T) {
	e := newEnv(t)
	var attempts atomic.Int32
	got := newReceived()
	rr := e.start(t, fastOptions(), func(r *workers.Router) {
		if err := r.AddHandler("sender", consumerConfig("wrk_sender"), func(msg *message.Message) error {
			if strings.Contains(string(msg.Payload), "bad") {
				attempts.Add(1)
				return errors.New("recipient mailbox is full")
			}
			got.add(msg)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	agg := newAggregate()
	bad := e.append(t, agg, "corr-bad", "bad")[0]
	good := e.append(t, agg, "", "good")[0]

	if msgs := got.wait(t, 1); msgs[0].UUID != good.ID {
		t.Fatalf("handled %s, want the next event %s", msgs[0].UUID, good.ID)
	}
	if n := attempts.Load(); n != 3 {
		t.Errorf("failing event tried %d times, want 1 + 2 retries", n)
	}
	settled(t, rr.nc, "wrk_sender")

	poisoned := lastPoisoned(t, rr, "sender")
	checkHeaders(t, poisoned.Header, map[string]string{
		workers.PoisonHeaderEventID:     bad.ID,
		eventstore.HeaderType:           "test.happened",
		eventstore.HeaderCorrelationID:  "corr-bad",
		workers.MetadataSubject:         bad.Subject,
		workers.MetadataSeq:             strconv.FormatUint(bad.Seq, 10),
		middleware.PoisonedHandlerKey:   "sender",
		middleware.PoisonedTopicKey:     "wrk_sender",
		middleware.ReasonForPoisonedKey: "recipient mailbox is full",
		eventstore.HeaderWatermillUUID:  bad.ID,
		// The poison copy's own id, not the event's, so copies made by two
		// handlers are not deduplicated.
		jetstream.MsgIDHeader: bad.ID + ":poison.sender",
	})
	if poisoned.Header.Get(middleware.PoisonedSubscriberKey) == "" {
		t.Errorf("poison headers lack %s", middleware.PoisonedSubscriberKey)
	}
	if !jsonEqual(t, poisoned.Data, bad.Data) {
		t.Errorf("poisoned payload %s, want %s", poisoned.Data, bad.Data)
	}
}

func TestPermanentErrorIsNotRetried(t *testing.T) {
	e := newEnv(t)
	var attempts atomic.Int32
	rr := e.start(t, fastOptions(), func(r *workers.Router) {
		if err := r.AddHandler("strict", consumerConfig("wrk_strict"), func(*message.Message) error {
			attempts.Add(1)
			return workers.Permanent(errors.New("no such recipient"))
		}); err != nil {
			t.Fatal(err)
		}
	})
	e.append(t, newAggregate(), "", "x")
	settled(t, rr.nc, "wrk_strict")
	if n := attempts.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
	if n := poisonCount(t, rr, "strict"); n != 1 {
		t.Errorf("%d poisoned messages, want 1", n)
	}
}

func TestPanicIsRecovered(t *testing.T) {
	e := newEnv(t)
	got := newReceived()
	rr := e.start(t, fastOptions(), func(r *workers.Router) {
		if err := r.AddHandler("brittle", consumerConfig("wrk_brittle"), func(msg *message.Message) error {
			if strings.Contains(string(msg.Payload), "boom") {
				panic("nil map in template")
			}
			got.add(msg)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	agg := newAggregate()
	e.append(t, agg, "", "boom")
	after := e.append(t, agg, "", "fine")[0]

	if msgs := got.wait(t, 1); msgs[0].UUID != after.ID {
		t.Fatalf("handled %s, want %s", msgs[0].UUID, after.ID)
	}
	reason := lastPoisoned(t, rr, "brittle").Header.Get(middleware.ReasonForPoisonedKey)
	if !strings.Contains(reason, "panic occurred") || !strings.Contains(reason, "nil map in template") {
		t.Errorf("poison reason %q does not name the panic", reason)
	}
	if strings.ContainsAny(reason, "\r\n") {
		t.Error("poison reason keeps raw line breaks")
	}
}

func TestEventReturnsToJetStreamWhenThePoisonQueueIsDown(t *testing.T) {
	e := newEnv(t)
	var deliveries []string
	var mu sync.Mutex
	got := newReceived()
	rr := e.start(t, fastOptions(), func(r *workers.Router) {
		if err := r.AddHandler("stubborn", consumerConfig("wrk_stubborn"), func(msg *message.Message) error {
			n := msg.Metadata.Get(workers.MetadataNumDelivered)
			mu.Lock()
			deliveries = append(deliveries, n)
			mu.Unlock()
			if n == "1" {
				return errors.New("first delivery fails")
			}
			got.add(msg)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	js, err := jetstream.New(rr.nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(testContext(t), workers.PoisonStream); err != nil {
		t.Fatal(err)
	}
	env := e.append(t, newAggregate(), "", "x")[0]

	// Not poisoned and not lost: Nacked, redelivered after the back-off.
	if msg := got.wait(t, 1)[0]; msg.UUID != env.ID {
		t.Fatalf("handled %s, want %s", msg.UUID, env.ID)
	}
	settled(t, rr.nc, "wrk_stubborn")
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"1", "1", "1", "2"}; !slices.Equal(deliveries, want) {
		t.Errorf("attempts by delivery %v, want %v (three tries, then a redelivery)", deliveries, want)
	}
}

func TestIsPermanent(t *testing.T) {
	base := errors.New("refused")
	for name, tc := range map[string]struct {
		err  error
		want bool
	}{
		"plain":              {base, false},
		"marked":             {workers.Permanent(base), true},
		"marked and wrapped": {errors.Join(errors.New("send"), workers.Permanent(base)), true},
		"self-reporting":     {selfReported{true}, true},
		"self-reporting no":  {selfReported{false}, false},
		"nil":                {nil, false},
	} {
		if got := workers.IsPermanent(tc.err); got != tc.want {
			t.Errorf("%s: IsPermanent = %v, want %v", name, got, tc.want)
		}
	}
	if workers.Permanent(nil) != nil {
		t.Error("Permanent(nil) is not nil")
	}
}

type selfReported struct{ permanent bool }

func (selfReported) Error() string       { return "connector failed" }
func (e selfReported) IsPermanent() bool { return e.permanent }
