package eventstore_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
)

func TestLoadEmptyAggregate(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	subject := newSubject("user")

	envs, last, err := store.Load(testContext(t), subject)
	if err != nil || envs != nil || last != 0 {
		t.Fatalf("Load = %v, %d, %v; want nil, 0, nil", envs, last, err)
	}
	if _, err := store.Last(testContext(t), subject); !errors.Is(err, eventstore.ErrNotFound) {
		t.Fatalf("Last: got %v, want ErrNotFound", err)
	}
}

func TestLoadRejectsInvalidSubject(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	for _, subject := range []string{"events.user.*", "events.user", "other.user.x", "events.user.a b"} {
		if _, _, err := store.Load(testContext(t), subject); !errors.Is(err, eventstore.ErrInvalidSubject) {
			t.Errorf("Load(%q): got %v, want ErrInvalidSubject", subject, err)
		}
	}
}

func TestLoadReturnsEventsInOrderWithTheirMetadata(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{})
	subject := newSubject("interaction")
	other := newSubject("interaction")
	at := time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.FixedZone("CET", 3600))
	meta := eventstore.Metadata{Time: at, Actor: "user:u1", CorrelationID: "req-1", CausationID: "cmd-1"}
	ctx := testContext(t)

	var seq, otherSeq uint64
	var want []string
	for i := range 5 {
		texts := []string{fmt.Sprintf("e%d", len(want)+1)}
		if i%2 == 1 { // mix single appends and batches
			texts = append(texts, fmt.Sprintf("e%d", len(want)+2))
		}
		var events []eventstore.Pending
		for _, text := range texts {
			events = append(events, note(text))
		}
		envs, err := store.Append(ctx, meta, eventstore.Write{
			Subject: subject, ExpectedSeq: seq, Version: uint64(len(want)), Events: events,
		})
		if err != nil {
			t.Fatal(err)
		}
		seq = envs[len(envs)-1].Seq
		want = append(want, texts...)
		// Interleave another aggregate, so the subject's sequences have gaps.
		otherSeq = appendOne(t, store, other, otherSeq, uint64(i), "noise").Seq
	}
	schemaEnv, err := store.Append(ctx, meta, eventstore.Write{
		Subject: subject, ExpectedSeq: seq, Version: uint64(len(want)), Events: []eventstore.Pending{{Event: renamed{Name: "n"}}},
	})
	if err != nil {
		t.Fatal(err)
	}

	for name, reader := range map[string]*eventstore.Store{"cached": store, "uncached": srv.uncached(t)} {
		t.Run("case="+name, func(t *testing.T) {
			envs, last := mustLoad(t, reader, subject)
			if last != schemaEnv[0].Seq {
				t.Fatalf("last seq %d, want %d", last, schemaEnv[0].Seq)
			}
			aggType, aggID, _ := eventstore.ParseSubject(subject)
			for i, env := range envs {
				if i > 0 && env.Seq <= envs[i-1].Seq {
					t.Errorf("event %d: seq %d not after %d", i, env.Seq, envs[i-1].Seq)
				}
				if env.AggVersion != uint64(i+1) || env.AggType != aggType || env.AggID != aggID || env.Subject != subject {
					t.Errorf("event %d: version %d aggregate %s/%s subject %s", i, env.AggVersion, env.AggType, env.AggID, env.Subject)
				}
				if !env.Time.Equal(at) || env.Time.Location() != time.UTC {
					t.Errorf("event %d: time %v, want %v in UTC", i, env.Time, at)
				}
				if env.Actor != "user:u1" || env.CorrelationID != "req-1" || env.CausationID != "cmd-1" || env.ID == "" {
					t.Errorf("event %d: metadata %+v", i, env)
				}
			}
			if got := texts(t, envs[:len(want)]); !slices.Equal(got, want) {
				t.Errorf("texts %v, want %v", got, want)
			}
			lastEnv := envs[len(envs)-1]
			if lastEnv.Type != "test.renamed" || lastEnv.Schema != 2 || envs[0].Schema != eventstore.DefaultSchema {
				t.Errorf("types/schemas: last %s v%d, first v%d", lastEnv.Type, lastEnv.Schema, envs[0].Schema)
			}
		})
	}
}

func TestLastReturnsTheLatestEvent(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	subject := newSubject("uniq")
	first := appendOne(t, store, subject, 0, 0, "claimed")
	second := appendOne(t, store, subject, first.Seq, 1, "released")

	env, err := store.Last(testContext(t), subject)
	if err != nil {
		t.Fatal(err)
	}
	if env.Seq != second.Seq || env.ID != second.ID || env.AggVersion != 2 {
		t.Fatalf("Last = %+v, want %+v", env, second)
	}
}

// Another process appends; this store's cache must not hide it.
func TestLoadSeesAppendsFromAnotherStore(t *testing.T) {
	srv := newServer(t)
	mine, theirs := srv.open(t, eventstore.Config{}), srv.open(t, eventstore.Config{})
	subject := newSubject("user")
	first := appendOne(t, mine, subject, 0, 0, "mine")
	if envs, _ := mustLoad(t, mine, subject); len(envs) != 1 {
		t.Fatalf("loaded %d events, want 1", len(envs))
	}

	appendOne(t, theirs, subject, first.Seq, 1, "theirs")

	envs, last := mustLoad(t, mine, subject)
	if got := texts(t, envs); !slices.Equal(got, []string{"mine", "theirs"}) {
		t.Fatalf("loaded %v, want [mine theirs]", got)
	}
	if last != envs[1].Seq || envs[1].AggVersion != 2 {
		t.Fatalf("last %d version %d", last, envs[1].AggVersion)
	}
}

func TestLoadedEnvelopesDoNotChangeAfterLaterAppends(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	subject := newSubject("user")
	first := appendOne(t, store, subject, 0, 0, "one")
	before, _ := mustLoad(t, store, subject)

	// A caller extending its slice must not write into the cache...
	_ = append(before, eventstore.Envelope{ID: "caller-owned"})
	// ...and the store extending the cache must not write into the caller's.
	appendOne(t, store, subject, first.Seq, 1, "two")
	after, _ := mustLoad(t, store, subject)

	if len(before) != 1 || before[0].ID != first.ID {
		t.Fatalf("earlier result changed: %+v", before)
	}
	if got := texts(t, after); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("loaded %v, want [one two]", got)
	}
	if extended := append(before, eventstore.Envelope{ID: "x"}); &extended[0] == &after[0] {
		t.Fatal("caller's slice shares its backing array with a later load")
	}
}

func TestCacheEvictsButLoadsStayCorrect(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{CacheSize: 2})
	subjects := []string{newSubject("user"), newSubject("user"), newSubject("user")}
	for i := range 3 {
		for j, subject := range subjects {
			envs, last := mustLoad(t, store, subject)
			if len(envs) != i {
				t.Fatalf("subject %d round %d: %d events", j, i, len(envs))
			}
			appendOne(t, store, subject, last, uint64(i), fmt.Sprint(i))
		}
	}
}

func TestDecodeUnknownTypeFails(t *testing.T) {
	_, err := eventstore.Decode([]eventstore.Envelope{{Type: "test.unknown", Data: []byte("{}")}}, registry)
	if err == nil {
		t.Fatal("decode succeeded, want an error")
	}
	events, err := eventstore.Decode([]eventstore.Envelope{{Type: "test.noted", Data: []byte(`{"text":"hi"}`)}}, registry)
	if err != nil || events[0].(*noted).Text != "hi" {
		t.Fatalf("decode = %v, %v", events, err)
	}
	var _ domain.Event = events[0]
}

// A long aggregate is read one by one, then in batches past the first
// events; interleaved events of another aggregate must not leak in.
func TestLoadReadsALongAggregateAcrossBatches(t *testing.T) {
	srv := newServer(t)
	writer, reader := srv.open(t, eventstore.Config{}), srv.open(t, eventstore.Config{})
	subject, other := newSubject("user"), newSubject("user")
	var seq, otherSeq uint64
	var want []string
	for i := range 300 {
		want = append(want, fmt.Sprint(i))
		seq = appendOne(t, writer, subject, seq, uint64(i), fmt.Sprint(i)).Seq
		if i%7 == 0 {
			otherSeq = appendOne(t, writer, other, otherSeq, uint64(i/7), "other").Seq
		}
	}
	envs, last := mustLoad(t, reader, subject)
	if got := texts(t, envs); !slices.Equal(got, want) {
		t.Fatalf("loaded %d events %v..., want %d", len(got), got[:min(len(got), 5)], len(want))
	}
	if last != seq {
		t.Fatalf("last %d, want %d", last, seq)
	}
}
