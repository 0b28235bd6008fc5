package eventstore_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
)

// notes is the state of a test aggregate: the texts of its notes.
type notes struct {
	Texts []string `json:"texts"`
}

func noteFold(shape int) eventstore.Fold[notes] {
	return eventstore.Fold[notes]{AggregateType: "notes", Shape: shape, Events: registry, Apply: func(s *notes, ev domain.Event) {
		s.Texts = append(slices.Clone(s.Texts), ev.(*noted).Text)
	}}
}

func appendNotes(t *testing.T, store *eventstore.Store, subject string, from, n int) {
	t.Helper()
	envs, last := mustLoad(t, store, subject)
	var events []eventstore.Pending
	for i := range n {
		events = append(events, note(strconv.Itoa(from+i)))
	}
	if _, err := store.Append(testContext(t), eventstore.Metadata{}, eventstore.Write{Subject: subject, ExpectedSeq: last,
		Version: uint64(len(envs)), Events: events}); err != nil {
		t.Fatal(err)
	}
}

func loadNotes(t *testing.T, store *eventstore.Store, f eventstore.Fold[notes], subject string) (notes, uint64) {
	t.Helper()
	var got notes
	var version uint64
	err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) (err error) {
		got, version, err = eventstore.LoadState(testContext(t), tx, f, subject)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, version
}

func wantNotes(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

// snapshotOf reads the stored snapshot of the notes aggregate id.
func snapshotOf(t *testing.T, store *eventstore.Store, key string) (seq uint64, found bool) {
	t.Helper()
	ctx := testContext(t)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		// The store puts snapshots in the background.
		time.Sleep(10 * time.Millisecond)
		kv, err := store.JetStream().KeyValue(ctx, store.Stream()+"_snapshots")
		if err != nil {
			continue
		}
		entry, err := kv.Get(ctx, key)
		if err != nil {
			continue
		}
		var snap struct{ Seq uint64 }
		if err := json.Unmarshal(entry.Value(), &snap); err != nil {
			t.Fatal(err)
		}
		return snap.Seq, true
	}
	return 0, false
}

func TestLoadStateFoldsAndRemembersThePosition(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	subject := newSubject("notes")
	if got, version := loadNotes(t, store, noteFold(1), subject); version != 0 || len(got.Texts) != 0 {
		t.Fatalf("empty aggregate: %v at version %d", got, version)
	}
	appendNotes(t, store, subject, 0, 3)
	err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		got, version, err := eventstore.LoadState(testContext(t), tx, noteFold(1), subject)
		if err != nil {
			return err
		}
		if version != 3 || !slices.Equal(got.Texts, wantNotes(3)) {
			t.Errorf("folded %v at version %d", got, version)
		}
		tx.Append(subject, noted{Text: "3"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, version := loadNotes(t, store, noteFold(1), subject); version != 4 || !slices.Equal(got.Texts, wantNotes(4)) {
		t.Errorf("after the commit: %v at version %d", got, version)
	}
}

// A long aggregate gets a snapshot; a cold store (a restart) folds from it
// and the events after it, and a fold of another shape ignores it.
func TestLoadStateResumesFromASnapshot(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{SnapshotEvery: 10})
	subject := newSubject("notes")
	_, id, _ := eventstore.ParseSubject(subject)
	appendNotes(t, store, subject, 0, 300) // more than one batch of direct gets
	if got, _ := loadNotes(t, store, noteFold(1), subject); !slices.Equal(got.Texts, wantNotes(300)) {
		t.Fatalf("folded %d notes", len(got.Texts))
	}
	seq, found := snapshotOf(t, store, "notes.v1."+id)
	if !found {
		t.Fatal("no snapshot after folding 300 events")
	}
	appendNotes(t, store, subject, 300, 5)

	cold := srv.open(t, eventstore.Config{SnapshotEvery: 10})
	got, version := loadNotes(t, cold, noteFold(1), subject)
	if version != 305 || !slices.Equal(got.Texts, wantNotes(305)) {
		t.Fatalf("cold load from the snapshot at %d: %d notes at version %d", seq, len(got.Texts), version)
	}
	if got, version := loadNotes(t, srv.open(t, eventstore.Config{}), noteFold(2), subject); version != 305 || !slices.Equal(got.Texts, wantNotes(305)) {
		t.Fatalf("another shape: %d notes at version %d", len(got.Texts), version)
	}
}

// A SnapshotFirst fold loads an old aggregate on a cold store from its
// snapshot, trusting the subject's count rather than reading its last
// event, and still sees what was appended after the snapshot.
func TestSnapshotFirstColdLoadsCheckTheCount(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{SnapshotEvery: 10})
	f := noteFold(1)
	f.SnapshotFirst = true
	subject := newSubject("notes")
	_, id, _ := eventstore.ParseSubject(subject)
	appendNotes(t, store, subject, 0, 100)
	loadNotes(t, store, f, subject)
	if _, found := snapshotOf(t, store, "notes.v1."+id); !found {
		t.Fatal("no snapshot after folding 100 events")
	}
	other := newSubject("test")
	var last uint64
	for i := range 4 { // the notes' last event is no longer recent
		last = appendOne(t, store, other, last, uint64(i), "other").Seq
	}
	coldLoad := func(want int) {
		t.Helper()
		cold := srv.open(t, eventstore.Config{SnapshotEvery: 10})
		eventstore.SetRecentEvents(cold, 2)
		got, version := loadNotes(t, cold, f, subject)
		if version != uint64(want) || !slices.Equal(got.Texts, wantNotes(want)) {
			t.Fatalf("cold load: %d notes at version %d, want %d", len(got.Texts), version, want)
		}
		// The position it remembers is the subject's: an append on it commits.
		if err := cold.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
			_, _, err := eventstore.LoadState(testContext(t), tx, f, subject)
			tx.Append(subject, &noted{Text: strconv.Itoa(want)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	coldLoad(100)
	appendNotes(t, store, subject, 101, 2)
	coldLoad(103)
}

func TestLoadStateRefusesAnotherAggregateType(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	err := store.Run(context.Background(), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		_, _, err := eventstore.LoadState(testContext(t), tx, noteFold(1), newSubject("user"))
		return err
	})
	if err == nil {
		t.Fatal("folded a user with the notes fold")
	}
}

// A command's own commit keeps the state it read current: the next load
// finds it at the newest event, folded with what was appended, and the
// bucket is given a snapshot once enough events were folded that way, so
// a cold store still starts from one.
func TestCommitAdvancesTheFoldedState(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{SnapshotEvery: 4})
	subject := newSubject("notes")
	_, id, _ := eventstore.ParseSubject(subject)
	key := "notes.v1." + id
	var lastSeq uint64
	for i := range 3 {
		err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
			if _, _, err := eventstore.LoadState(testContext(t), tx, noteFold(1), subject); err != nil {
				return err
			}
			tx.Append(subject, noted{Text: strconv.Itoa(2 * i)}, noted{Text: strconv.Itoa(2*i + 1)})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		envs, last := mustLoad(t, store, subject)
		lastSeq = last
		if seq, ok := eventstore.CachedStateSeq(store, key); !ok || seq != last {
			t.Fatalf("commit %d: cached state at %d (found %v), want the appended event's %d", i, seq, ok, last)
		}
		if got, version := loadNotes(t, store, noteFold(1), subject); version != uint64(len(envs)) || !slices.Equal(got.Texts, wantNotes(2*i+2)) {
			t.Fatalf("commit %d: %v at version %d", i, got, version)
		}
	}
	// 6 events folded by commits: one snapshot was put on the way.
	if seq, found := snapshotOf(t, store, key); !found || seq == 0 || seq > lastSeq {
		t.Fatalf("snapshot at %d (found %v) after 6 events folded by commits", seq, found)
	}
	if got, version := loadNotes(t, srv.open(t, eventstore.Config{}), noteFold(1), subject); version != 6 || !slices.Equal(got.Texts, wantNotes(6)) {
		t.Fatalf("cold load: %v at version %d", got, version)
	}

	// A commit that conflicts advances nothing: another writer's event is
	// between, and the next load reads it.
	other := srv.open(t, eventstore.Config{})
	attempts := 0
	err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		if _, _, err := eventstore.LoadState(testContext(t), tx, noteFold(1), subject); err != nil {
			return err
		}
		if _, _, err := eventstore.LoadState(testContext(t), tx, noteFold(1), subject); err != nil {
			return err
		}
		if attempts++; attempts == 1 {
			appendNotes(t, other, subject, 6, 1)
		}
		tx.Append(subject, noted{Text: "7"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := loadNotes(t, store, noteFold(1), subject); attempts != 2 || !slices.Equal(got.Texts, wantNotes(8)) {
		t.Fatalf("after a conflict and its retry (%d attempts): %v", attempts, got.Texts)
	}
}
