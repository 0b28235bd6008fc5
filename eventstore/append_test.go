package eventstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/authtrail/authtrail/eventstore"
)

func TestAppendConcurrentSameExpectedSeqOneWins(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	subject := newSubject("user")
	first := appendOne(t, store, subject, 0, 0, "created")

	const contenders = 12
	var wg sync.WaitGroup
	errs := make([]error, contenders)
	for i := range contenders {
		wg.Go(func() {
			_, errs[i] = store.Append(testContext(t), eventstore.Metadata{}, eventstore.Write{
				Subject: subject, ExpectedSeq: first.Seq, Version: 1, Events: []eventstore.Pending{note("contender")},
			})
		})
	}
	wg.Wait()

	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !isConflict(err):
			t.Errorf("got %v, want ErrConflict", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d appends won, want exactly 1", wins)
	}
	if envs, _ := mustLoad(t, store, subject); len(envs) != 2 {
		t.Fatalf("stored %d events, want 2", len(envs))
	}
}

func TestAppendStaleExpectedSeqIsConflict(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	subject := newSubject("user")
	appendOne(t, store, subject, 0, 0, "created")

	_, err := store.Append(testContext(t), eventstore.Metadata{}, eventstore.Write{
		Subject: subject, ExpectedSeq: 0, Events: []eventstore.Pending{note("late")},
	})
	if !isConflict(err) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
}

func TestAppendDuplicateIDStoresOnceAndReturnsOriginal(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{})
	subject := newSubject("user")
	write := eventstore.Write{Subject: subject, Events: []eventstore.Pending{{ID: "evt-dup-1", Event: noted{Text: "once"}}}}

	first, err := store.Append(testContext(t), eventstore.Metadata{}, write)
	if err != nil {
		t.Fatal(err)
	}
	// The expectation now holds, so the server's dedup answers: a
	// duplicate ack carrying the original sequence.
	write.ExpectedSeq = first[0].Seq
	write.Version = 1
	again, err := store.Append(testContext(t), eventstore.Metadata{}, write)
	if err != nil {
		t.Fatalf("second append: %v", err)
	}
	if again[0].Seq != first[0].Seq || again[0].AggVersion != 1 {
		t.Fatalf("second append returned seq %d version %d, want the original %d version 1",
			again[0].Seq, again[0].AggVersion, first[0].Seq)
	}
	envs, _ := mustLoad(t, store, subject)
	if len(envs) != 1 {
		t.Fatalf("stored %d events, want 1", len(envs))
	}
	if fresh, _ := mustLoad(t, srv.uncached(t), subject); len(fresh) != 1 {
		t.Fatalf("server holds %d events, want 1", len(fresh))
	}
}

// A publish whose ack was lost is retried as it was: same id, same (now
// stale) expectation. On R1 the server checks the expectation before the
// id, so the retry is refused as a conflict; the lookup by id turns it into
// the success it was.
func TestAppendLostAckRetryResolvesByID(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	subject := newSubject("interaction")
	write := eventstore.Write{Subject: subject, Events: []eventstore.Pending{{ID: "evt-lost-ack", Event: noted{Text: "started"}}}}

	first, err := store.Append(testContext(t), eventstore.Metadata{}, write)
	if err != nil {
		t.Fatal(err)
	}
	retried, err := store.Append(testContext(t), eventstore.Metadata{}, write)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if retried[0].Seq != first[0].Seq || retried[0].ID != "evt-lost-ack" {
		t.Fatalf("retry returned %+v, want the stored event %+v", retried[0], first[0])
	}
	if envs, _ := mustLoad(t, store, subject); len(envs) != 1 {
		t.Fatalf("stored %d events, want 1", len(envs))
	}
}

// Once another event follows ours, a retry cannot be told from a real
// conflict by looking at the subject's last event, so it is a conflict.
func TestAppendRetryAfterOthersAppendedIsConflict(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	subject := newSubject("interaction")
	write := eventstore.Write{Subject: subject, Events: []eventstore.Pending{{ID: "evt-retry-late", Event: noted{Text: "started"}}}}
	first, err := store.Append(testContext(t), eventstore.Metadata{}, write)
	if err != nil {
		t.Fatal(err)
	}
	appendOne(t, store, subject, first[0].Seq, 1, "next")

	if _, err := store.Append(testContext(t), eventstore.Metadata{}, write); !isConflict(err) {
		t.Fatalf("got %v, want ErrConflict", err)
	}
}

func TestAppendExpiredContextReturnsOriginalError(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	subject := newSubject("user")
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()

	_, err := store.Append(ctx, eventstore.Metadata{}, eventstore.Write{Subject: subject, Events: []eventstore.Pending{note("x")}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if envs, _ := mustLoad(t, store, subject); len(envs) != 0 {
		t.Fatalf("stored %d events, want 0", len(envs))
	}
}

func TestAppendOverEventLimitIsAggregateFull(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{MaxEventsPerAggregate: 3})
	subject := newSubject("user")
	ctx := testContext(t)
	envs, err := store.Append(ctx, eventstore.Metadata{}, eventstore.Write{
		Subject: subject, Events: []eventstore.Pending{note("1"), note("2")},
	})
	if err != nil {
		t.Fatal(err)
	}
	last := envs[1].Seq

	_, err = store.Append(ctx, eventstore.Metadata{}, eventstore.Write{
		Subject: subject, ExpectedSeq: last, Version: 2, Events: []eventstore.Pending{note("3"), note("4")},
	})
	if !errors.Is(err, eventstore.ErrAggregateFull) {
		t.Fatalf("batch over the limit: got %v, want ErrAggregateFull", err)
	}
	third := appendOne(t, store, subject, last, 2, "3")
	_, err = store.Append(ctx, eventstore.Metadata{}, eventstore.Write{
		Subject: subject, ExpectedSeq: third.Seq, Version: 3, Events: []eventstore.Pending{note("4")},
	})
	if !errors.Is(err, eventstore.ErrAggregateFull) {
		t.Fatalf("single over the limit: got %v, want ErrAggregateFull", err)
	}
}

func TestAppendRejectsInvalidWrites(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	subject := newSubject("user")
	ctx := testContext(t)
	cases := map[string][]eventstore.Write{
		"bad subject": {{Subject: "events.user.a.b", Events: []eventstore.Pending{note("x")}}},
		"nil event":   {{Subject: subject, Events: []eventstore.Pending{{}}}},
		"same subject twice": {
			{Subject: subject, Events: []eventstore.Pending{note("x")}},
			{Subject: subject, Events: []eventstore.Pending{note("y")}},
		},
		"same id twice": {{Subject: subject, Events: []eventstore.Pending{
			{ID: "a", Event: noted{}}, {ID: "a", Event: noted{}},
		}}},
	}
	for name, writes := range cases {
		t.Run("case="+name, func(t *testing.T) {
			if _, err := store.Append(ctx, eventstore.Metadata{}, writes...); err == nil {
				t.Fatal("append succeeded, want an error")
			}
		})
	}
	if envs, _ := mustLoad(t, store, subject); len(envs) != 0 {
		t.Fatalf("stored %d events, want 0", len(envs))
	}
	if envs, err := store.Append(ctx, eventstore.Metadata{}); err != nil || envs != nil {
		t.Fatalf("empty append = %v, %v; want nil, nil", envs, err)
	}
}
