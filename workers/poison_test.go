package workers_test

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore/natstest"
	"github.com/authtrail/authtrail/workers"
)

func natsConn(t *testing.T, e env) *nats.Conn { return natstest.NewConn(t, e.ns) }

func poisonStream(t *testing.T, nc *nats.Conn) jetstream.Stream {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(testContext(t), workers.PoisonStream)
	if err != nil {
		t.Fatalf("poison stream: %v", err)
	}
	return stream
}

// poisonCount is how many messages handler has poisoned.
func poisonCount(t *testing.T, rr *runningRouter, handler string) uint64 {
	t.Helper()
	info, err := poisonStream(t, rr.nc).Info(testContext(t), jetstream.WithSubjectFilter(workers.PoisonSubject(handler)))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[workers.PoisonSubject(handler)]
}

func lastPoisoned(t *testing.T, rr *runningRouter, handler string) *jetstream.RawStreamMsg {
	t.Helper()
	msg, err := poisonStream(t, rr.nc).GetLastMsgForSubject(testContext(t), workers.PoisonSubject(handler))
	if err != nil {
		t.Fatalf("no poisoned message from %s: %v", handler, err)
	}
	return msg
}

func checkHeaders(t *testing.T, h nats.Header, want map[string]string) {
	t.Helper()
	for key, value := range want {
		if got := h.Get(key); got != value {
			t.Errorf("header %s = %q, want %q", key, got, value)
		}
	}
}

func TestPoisonStreamSettings(t *testing.T) {
	e := newEnv(t)
	nc := natsConn(t, e)
	ctx := testContext(t)
	for range 2 { // idempotent
		if _, err := workers.NewPoisonPublisher(ctx, nc, 0); err != nil {
			t.Fatal(err)
		}
	}
	cfg := poisonStream(t, nc).CachedInfo().Config
	if cfg.Storage != jetstream.FileStorage || cfg.Retention != jetstream.LimitsPolicy ||
		cfg.MaxAge != 30*24*time.Hour || len(cfg.Subjects) != 1 || cfg.Subjects[0] != "poison.>" {
		t.Errorf("poison stream config: %+v", cfg)
	}
}

func TestPoisonPublisherEscapesHeadersAndRefusesOtherSubjects(t *testing.T) {
	e := newEnv(t)
	nc := natsConn(t, e)
	pub, err := workers.NewPoisonPublisher(testContext(t), nc, 1)
	if err != nil {
		t.Fatal(err)
	}
	msg := message.NewMessage("ev-1", []byte(`{"a":1}`))
	msg.Metadata.Set("reason_poisoned", "line one\nline two")
	// Copied as a header, it would make the publish fail.
	msg.Metadata.Set("Nats-Expected-Last-Sequence", "999")
	msg.SetContext(cancelled())

	if err := pub.Publish("events.interaction.x", msg); err == nil {
		t.Error("published outside poison.>")
	}
	if err := pub.Publish("poison.manual", msg); err != nil {
		t.Fatalf("publish with a cancelled message context: %v", err)
	}
	got, err := poisonStream(t, nc).GetLastMsgForSubject(testContext(t), "poison.manual")
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders(t, got.Header, map[string]string{
		"reason_poisoned":             `line one\nline two`,
		"Nats-Expected-Last-Sequence": "",
		workers.PoisonHeaderEventID:   "ev-1",
	})
	if string(got.Data) != `{"a":1}` {
		t.Errorf("payload %s", got.Data)
	}
	if err := pub.Close(); err != nil || nc.IsClosed() {
		t.Errorf("close: %v; connection closed: %v", err, nc.IsClosed())
	}
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
