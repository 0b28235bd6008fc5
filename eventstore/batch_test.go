package eventstore_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/authtrail/authtrail/eventstore"
)

func TestBatchAcrossSubjectsIsAllOrNothing(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{})
	fresh, existing := newSubject("user"), newSubject("interaction")
	appendOne(t, store, existing, 0, 0, "started")

	_, err := store.Append(testContext(t), eventstore.Metadata{},
		eventstore.Write{Subject: fresh, Events: []eventstore.Pending{note("registered"), note("named")}},
		eventstore.Write{Subject: existing, ExpectedSeq: 0, Events: []eventstore.Pending{note("completed")}},
	)
	if !isConflict(err) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
	reader := srv.uncached(t)
	if envs, _ := mustLoad(t, reader, fresh); len(envs) != 0 {
		t.Errorf("%s holds %d events from the refused batch", fresh, len(envs))
	}
	if envs, _ := mustLoad(t, reader, existing); len(envs) != 1 {
		t.Errorf("%s holds %d events, want 1", existing, len(envs))
	}
}

func TestBatchNumbersVersionsAndSequencesPerSubject(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{})
	user, interaction := newSubject("user"), newSubject("interaction")
	started := appendOne(t, store, interaction, 0, 0, "started")

	envs, err := store.Append(testContext(t), eventstore.Metadata{Actor: "system"},
		eventstore.Write{Subject: user, Events: []eventstore.Pending{note("u1"), note("u2")}},
		eventstore.Write{Subject: interaction, ExpectedSeq: started.Seq, Version: 1, Events: []eventstore.Pending{note("i2")}},
	)
	if err != nil {
		t.Fatal(err)
	}
	wantVersions := []uint64{1, 2, 2}
	for i, env := range envs {
		if env.AggVersion != wantVersions[i] {
			t.Errorf("event %d has version %d, want %d", i, env.AggVersion, wantVersions[i])
		}
	}
	reader := srv.uncached(t)
	for _, subject := range []string{user, interaction} {
		loaded, last := mustLoad(t, reader, subject)
		cached, cachedLast := mustLoad(t, store, subject)
		if last != cachedLast || len(loaded) != len(cached) {
			t.Fatalf("%s: cache has %d events to %d, server %d to %d", subject, len(cached), cachedLast, len(loaded), last)
		}
		for i := range loaded {
			if !equalEnvelopes(loaded[i], cached[i]) {
				t.Errorf("%s event %d: cached %+v, stored %+v", subject, i, cached[i], loaded[i])
			}
		}
	}
}

// The store numbers a committed batch's events from its ack backwards, which
// holds only if the server gives a batch consecutive sequences even while
// other publishes race with it.
func TestBatchGetsConsecutiveSequencesUnderConcurrentPublishes(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{})
	js := store.JetStream()
	ctx := testContext(t)
	stream, err := js.Stream(ctx, store.Stream())
	if err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var noise sync.WaitGroup
	for range 4 {
		noise.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := js.Publish(ctx, newSubject("noise"), []byte("{}")); err != nil {
					t.Errorf("noise publish: %v", err)
					return
				}
			}
		})
	}
	defer func() { close(stop); noise.Wait() }()

	for round := range 20 {
		a, b := newSubject("user"), newSubject("interaction")
		envs, err := store.Append(ctx, eventstore.Metadata{},
			eventstore.Write{Subject: a, Events: []eventstore.Pending{note("a1"), note("a2"), note("a3")}},
			eventstore.Write{Subject: b, Events: []eventstore.Pending{note("b1"), note("b2")}},
		)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for i, env := range envs {
			if i > 0 && env.Seq != envs[i-1].Seq+1 {
				t.Fatalf("round %d: sequences %d then %d are not consecutive", round, envs[i-1].Seq, env.Seq)
			}
			stored, err := stream.GetMsg(ctx, env.Seq)
			if err != nil {
				t.Fatal(err)
			}
			if got := stored.Header.Get(eventstore.HeaderMsgID); got != env.ID {
				t.Fatalf("round %d: seq %d holds event %q, want %q", round, env.Seq, got, env.ID)
			}
		}
	}
}

func TestBatchRetryResolvesByID(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	a, b := newSubject("user"), newSubject("interaction")
	writes := []eventstore.Write{
		{Subject: a, Events: []eventstore.Pending{{ID: "evt-a1", Event: noted{Text: "a1"}}, {ID: "evt-a2", Event: noted{Text: "a2"}}}},
		{Subject: b, Events: []eventstore.Pending{{ID: "evt-b1", Event: noted{Text: "b1"}}}},
	}
	first, err := store.Append(testContext(t), eventstore.Metadata{}, writes...)
	if err != nil {
		t.Fatal(err)
	}
	again, err := store.Append(testContext(t), eventstore.Metadata{}, writes...)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	for i := range first {
		if !equalEnvelopes(first[i], again[i]) {
			t.Errorf("retry returned %+v, want %+v", again[i], first[i])
		}
	}
	if envs, _ := mustLoad(t, store, a); len(envs) != 2 {
		t.Fatalf("%s holds %d events, want 2", a, len(envs))
	}
}

// TestBatchServerErrors pins the errors nats-server gives refused atomic
// batches, which Append maps onto ErrConflict and its id lookup.
func TestBatchServerErrors(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	js := store.JetStream()
	ctx := testContext(t)
	msg := func(subject, id string, expected *uint64) *nats.Msg {
		m := nats.NewMsg(subject)
		m.Header.Set(jetstream.MsgIDHeader, id)
		if expected != nil {
			m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(*expected, 10))
		}
		return m
	}
	zero := uint64(0)
	taken := newSubject("user")
	stored := appendOne(t, store, taken, 0, 0, "taken")

	cases := []struct {
		name string
		msgs func() []*nats.Msg
		code jetstream.ErrorCode
	}{
		{"wrong expectation on a later subject", func() []*nats.Msg {
			return []*nats.Msg{msg(newSubject("a"), "e1", &zero), msg(taken, "e2", &zero)}
		}, jetstream.JSErrCodeStreamWrongLastSequence},
		{"expectation on a subject already in the batch", func() []*nats.Msg {
			s := newSubject("a")
			return []*nats.Msg{msg(s, "e3", &zero), msg(s, "e4", &zero)}
		}, jetstream.JSErrCodeStreamWrongLastSequenceConstant},
		{"id already stored", func() []*nats.Msg {
			return []*nats.Msg{msg(newSubject("a"), "e5", nil), msg(newSubject("a"), stored.ID, nil)}
		}, jetstreamext.JSErrCodeBatchPublishDuplicateMsgID},
	}
	for _, c := range cases {
		t.Run("case="+c.name, func(t *testing.T) {
			_, err := jetstreamext.PublishMsgBatch(ctx, js, c.msgs())
			var apiErr *jetstream.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode != c.code {
				t.Fatalf("got %v, want API error %d", err, c.code)
			}
		})
	}
}

func equalEnvelopes(a, b eventstore.Envelope) bool {
	return a.ID == b.ID && a.Type == b.Type && a.Schema == b.Schema &&
		a.AggType == b.AggType && a.AggID == b.AggID && a.AggVersion == b.AggVersion &&
		a.Time.Equal(b.Time) && a.Actor == b.Actor && a.CorrelationID == b.CorrelationID &&
		a.CausationID == b.CausationID && a.Subject == b.Subject && a.Seq == b.Seq &&
		string(a.Data) == string(b.Data)
}
