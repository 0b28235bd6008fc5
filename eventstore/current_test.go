package eventstore_test

import (
	"slices"
	"testing"

	"github.com/authtrail/authtrail/eventstore"
)

// A store checks a cached aggregate whose last event is no longer among
// the stream's newest by the subject's count of events, not by reading it.
// Loads, Last and LoadState must still see what another process appended
// since, and answer from the cache while nothing was.
func TestCachedReadsOfOldAggregatesSeeAnotherStoresAppends(t *testing.T) {
	srv := newServer(t)
	reader := srv.open(t, eventstore.Config{})
	eventstore.SetRecentEvents(reader, 2)
	writer := srv.uncached(t)
	ctx := testContext(t)
	f := noteFold(1)
	subject := eventstore.MustSubject(f.AggregateType, "old")
	first := appendOne(t, writer, subject, 0, 0, "0")

	// The reader caches the aggregate, then sees the stream move past it.
	mustLoad(t, reader, subject)
	loadNotes(t, reader, f, subject)
	if _, err := reader.Last(ctx, subject); err != nil {
		t.Fatal(err)
	}
	other := newSubject("test")
	var last uint64
	for i := range 4 {
		last = appendOne(t, reader, other, last, uint64(i), "other").Seq
	}

	check := func(want []string) {
		t.Helper()
		envs, lastSeq := mustLoad(t, reader, subject)
		if got := texts(t, envs); !slices.Equal(got, want) {
			t.Errorf("Load: %q, want %q", got, want)
		}
		if lastSeq != envs[len(envs)-1].Seq {
			t.Errorf("Load: last sequence %d, want %d", lastSeq, envs[len(envs)-1].Seq)
		}
		if got, version := loadNotes(t, reader, f, subject); !slices.Equal(got.Texts, want) || version != uint64(len(want)) {
			t.Errorf("LoadState: %q at version %d, want %q at %d", got.Texts, version, want, len(want))
		}
		env, err := reader.Last(ctx, subject)
		if err != nil {
			t.Fatal(err)
		}
		if got := texts(t, []eventstore.Envelope{*env}); got[0] != want[len(want)-1] || env.AggVersion != uint64(len(want)) {
			t.Errorf("Last: %q at version %d, want %q at %d", got[0], env.AggVersion, want[len(want)-1], len(want))
		}
	}
	check([]string{"0"})
	second := appendOne(t, writer, subject, first.Seq, 1, "1")
	check([]string{"0", "1"})
	appendOne(t, writer, subject, second.Seq, 2, "2")
	check([]string{"0", "1", "2"})
}
