package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/domain"
)

// Fold says how an aggregate type folds into its state S, for LoadState.
// Apply must be copy-on-write: it replaces the slices and maps of the
// state it evolves rather than changing them in place, because a folded
// state is shared by the loads that find it cached.
type Fold[S any] struct {
	// AggregateType names the aggregate, and keys its snapshots.
	AggregateType string
	// Shape is bumped whenever S or Apply changes what a fold yields:
	// snapshots of another shape are ignored (and replaced).
	Shape  int
	Events domain.Registry
	Apply  func(*S, domain.Event)
	// SnapshotFirst: the aggregate is long-lived and is loaded only once
	// it exists (a user, found through a claim). A load that finds no
	// state in memory reads the stored snapshot before the subject, and
	// when the snapshot is of an old event checks the subject's count
	// instead of reading its last event, which the server would answer by
	// loading and decompressing an old block. Aggregates often loaded
	// before they exist (a sentinel with no failures) would pay the
	// bucket's read for nothing, so they leave it unset.
	SnapshotFirst bool
}

// snapshot is a folded state at a point of its subject's history.
type snapshot[S any] struct {
	Seq     uint64 `json:"seq"`     // stream sequence of the last event folded
	Version uint64 `json:"version"` // events folded
	State   S      `json:"state"`
	// Stream is when the stream it was folded from was created: a
	// snapshot trusted on its count alone (Fold.SnapshotFirst) must be
	// of this stream, not of one recreated under the same name.
	Stream time.Time `json:"stream,omitzero"`
	// unsaved counts the events folded since the bucket was given a
	// snapshot of this aggregate (by this process).
	unsaved int
}

// snapshotOf is a snapshot[S] of any S, for keepState.
type snapshotOf interface {
	unsavedEvents() int
	saved() snapshotOf
	lastSeq() uint64
}

func (s snapshot[S]) unsavedEvents() int { return s.unsaved }
func (s snapshot[S]) lastSeq() uint64    { return s.Seq }
func (s snapshot[S]) saved() snapshotOf {
	s.unsaved = 0
	return s
}

// LoadState returns the state of the aggregate at subject, folded by f,
// and how many events it has (0: none), and remembers its position for the
// commit like Load. It folds only the events appended since the newest
// snapshot it finds: in memory for recently used aggregates, else in the
// store's snapshot bucket, which it refreshes once an aggregate's tail
// reaches Config.SnapshotEvery events. So a step's cost does not grow with
// the aggregate's age, even after a restart.
func LoadState[S any](ctx context.Context, tx *Tx, f Fold[S], subject string) (S, uint64, error) {
	at, trusted, err := loadState(ctx, tx.store, f, subject, tx.trust)
	if err != nil {
		return at.State, 0, err
	}
	tx.rememberRead(subject, position{seq: at.Seq, version: at.Version}, trusted)
	advanceFold(tx, f, subject, at)
	return at.State, at.Version, nil
}

// advanceFold keeps the state a command read current through its own
// commit: the events it appends to subject right after the state (a
// fresh append expecting its sequence) are folded in and cached. The
// next load of the aggregate then finds it at its newest event and reads
// no tail, which for a user claimed on every MFA verify is a read of the
// stream per step saved. The events are decoded from what was stored,
// exactly as a load reads them.
func advanceFold[S any](tx *Tx, f Fold[S], subject string, at snapshot[S]) {
	_, aggID, _ := ParseSubject(subject)
	key := f.key(aggID)
	tx.onFreshAppend(subject, func(expectedSeq uint64, stored []Envelope) {
		if expectedSeq != at.Seq || len(stored) == 0 {
			return
		}
		events, err := Decode(stored, f.Events)
		if err != nil {
			return // the next load reads them, and says why
		}
		last := stored[len(stored)-1]
		next := snapshot[S]{Seq: last.Seq, Version: last.AggVersion, State: at.State, Stream: at.Stream,
			unsaved: at.unsaved + len(events)}
		for _, ev := range events {
			f.Apply(&next.State, ev)
		}
		tx.store.keepState(key, next)
		at = next
	})
}

// loadState folds the aggregate at subject; with trustCache a state held
// in memory is returned without asking the server whether it is current,
// and trusted says so (as load). A snapshot from the bucket is always
// checked: it may be old.
func loadState[S any](ctx context.Context, s *Store, f Fold[S], subject string, trustCache bool) (_ snapshot[S], trusted bool, _ error) {
	if aggType, aggID, err := ParseSubject(subject); trustCache && err == nil && aggType == f.AggregateType {
		snap, found := cachedSnapshot[S](s, f.key(aggID))
		if base, ok := snap.(snapshot[S]); found && ok && base.Version > 0 {
			return base, true, nil
		}
	}
	at, err := foldState(ctx, s, f, subject)
	return at, false, err
}

func foldState[S any](ctx context.Context, s *Store, f Fold[S], subject string) (snapshot[S], error) {
	var zero snapshot[S]
	aggType, aggID, err := ParseSubject(subject)
	if err != nil {
		return zero, err
	}
	if aggType != f.AggregateType {
		return zero, fmt.Errorf("eventstore: %s is not a %s", subject, f.AggregateType)
	}
	key := f.key(aggID)
	snap, found := cachedSnapshot[S](s, key)
	stored := false // snap is the bucket's, not memory's
	if !found && f.SnapshotFirst {
		snap, found = s.snapshots.get(ctx, key, f.decodeSnapshot)
		stored = found
	}
	if base, ok := snap.(snapshot[S]); found && ok && (!stored || base.Stream.Equal(s.created)) && s.unchanged(ctx, subject, base.Seq, base.Version) {
		if stored {
			s.states.put(key, base, base.Seq)
		}
		return base, nil
	}
	last, err := s.lastMsg(ctx, subject)
	if errors.Is(err, ErrNotFound) {
		return snapshot[S]{Stream: s.created}, nil
	}
	if err != nil {
		return zero, err
	}
	if !found && !f.SnapshotFirst { // a SnapshotFirst fold asked already
		snap, found = s.snapshots.get(ctx, key, f.decodeSnapshot)
	}
	base, ok := snap.(snapshot[S])
	if !found || !ok || base.Seq > last.Sequence {
		// None, or one of a recreated stream.
		base = snapshot[S]{}
	}
	if base.Seq == last.Sequence {
		s.states.put(key, base, base.Seq)
		return base, nil
	}
	tail, err := s.readRange(ctx, subject, base.Seq+1, last)
	if err != nil {
		return zero, err
	}
	events, err := Decode(tail, f.Events)
	if err != nil {
		return zero, err
	}
	next := snapshot[S]{Seq: last.Sequence, Version: base.Version + uint64(len(events)), State: base.State, Stream: s.created,
		unsaved: base.unsaved + len(events)}
	for _, ev := range events {
		f.Apply(&next.State, ev)
	}
	s.keepState(key, next)
	return next, nil
}

// keepState caches a folded state, and stores it in the snapshot bucket
// once Config.SnapshotEvery events were folded since it was last stored:
// so an aggregate kept current by its commits (advanceFold), which no
// load folds a long tail of, is still found in the bucket after a
// restart.
func (s *Store) keepState(key string, snap snapshotOf) {
	if s.snapshotEvery > 0 && snap.unsavedEvents() >= s.snapshotEvery && s.snapshots.put(key, snap) {
		snap = snap.saved()
	}
	s.states.put(key, snap, snap.lastSeq())
}

func cachedSnapshot[S any](s *Store, key string) (any, bool) {
	v, _, ok := s.states.get(key)
	return v, ok
}

// decodeSnapshot reads a stored snapshot of the fold's state.
func (f Fold[S]) decodeSnapshot(data []byte) (any, error) {
	var snap snapshot[S]
	err := json.Unmarshal(data, &snap)
	return snap, err
}

// key names the aggregate's snapshot in the bucket and the memory cache.
func (f Fold[S]) key(aggID string) string {
	return f.AggregateType + ".v" + strconv.Itoa(f.Shape) + "." + aggID
}

// snapshotBucket keeps the latest snapshot of each long aggregate in a
// key-value bucket of the store's own (History 1). A snapshot holds what
// the events it folds hold, sealed secrets sealed; it is a cache: losing
// it costs a longer read, never a wrong state, since a load folds
// whatever followed it.
type snapshotBucket struct {
	js       jetstream.JetStream
	name     string
	replicas int

	mu  sync.Mutex
	kv  jetstream.KeyValue
	sem chan struct{} // bounds the puts in flight
}

func newSnapshotBucket(js jetstream.JetStream, stream string, replicas int) *snapshotBucket {
	return &snapshotBucket{js: js, name: stream + "_snapshots", replicas: replicas, sem: make(chan struct{}, 4)}
}

// bucket returns the bucket, creating it when create is set; nil when it
// does not exist (yet) or cannot be reached.
func (b *snapshotBucket) bucket(ctx context.Context, create bool) jetstream.KeyValue {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.kv != nil {
		return b.kv
	}
	kv, err := b.js.KeyValue(ctx, b.name)
	if errors.Is(err, jetstream.ErrBucketNotFound) && create {
		kv, err = b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: b.name, Description: "snapshots of long aggregates (a cache of their folds)",
			History: 1, Storage: jetstream.FileStorage, Replicas: b.replicas,
		})
	}
	if err != nil {
		return nil
	}
	b.kv = kv
	return kv
}

// get reads the snapshot at key with decode; a missing or unreadable one
// is no snapshot.
func (b *snapshotBucket) get(ctx context.Context, key string, decode func([]byte) (any, error)) (any, bool) {
	kv := b.bucket(ctx, false)
	if kv == nil {
		return nil, false
	}
	entry, err := kv.Get(ctx, key)
	if err != nil {
		return nil, false
	}
	snap, err := decode(entry.Value())
	return snap, err == nil
}

// put stores snap at key in the background, at most a few at once, and
// says whether it started; a put that finds them all busy is skipped (a
// later fold puts it).
func (b *snapshotBucket) put(key string, snap any) bool {
	select {
	case b.sem <- struct{}{}:
	default:
		return false
	}
	data, err := json.Marshal(snap)
	if err != nil {
		<-b.sem
		return false
	}
	go func() {
		defer func() { <-b.sem }()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if kv := b.bucket(ctx, true); kv != nil {
			_, _ = kv.Put(ctx, key, data)
		}
	}()
	return true
}
