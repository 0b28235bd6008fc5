package eventstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/metrics"
)

// Defaults for Config.
const (
	DefaultStream                = "EVENTS"
	DefaultCacheSize             = 10_000
	DefaultCacheBytes            = 16 << 20
	DefaultSnapshotEvery         = 64
	DefaultMaxEventsPerAggregate = 100_000
)

// Config configures the event store.
type Config struct {
	// Replicas of the stream: 1 for a single node, 3 for a cluster. Default 1.
	Replicas int
	// Stream is the stream's name. Default "EVENTS".
	Stream string
	// CacheSize is how many aggregates Load keeps in memory. Default 10000;
	// negative disables the cache.
	CacheSize int
	// CacheBytes bounds the events Load keeps in memory, as their size is
	// estimated (envelopes and payloads). Default 16 MiB.
	CacheBytes int
	// SnapshotEvery is how long a tail LoadState folds before it stores a
	// snapshot of the aggregate. Default 64; negative stores none.
	SnapshotEvery int
	// MaxEventsPerAggregate caps one subject, so a runaway aggregate is
	// refused (ErrAggregateFull) rather than growing without bound.
	// Default 100000.
	MaxEventsPerAggregate int
	// ForceConflicts is for tests. When set, Run asks it before each commit
	// (attempt counts from 1), and when it answers true the commit goes to
	// the server with an expected sequence no subject can have, so the
	// server refuses it as it refuses a stale write, and the command is
	// decided again. A command that answers and writes the same with and
	// without forced conflicts reads its input once and commits once.
	ForceConflicts func(attempt int) bool
	// Metrics counts the events appended and the conflicts; nil counts
	// nothing.
	Metrics *metrics.Metrics
}

func (c Config) withDefaults() Config {
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.CacheBytes <= 0 {
		c.CacheBytes = DefaultCacheBytes
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = DefaultSnapshotEvery
	}
	if c.MaxEventsPerAggregate <= 0 {
		c.MaxEventsPerAggregate = DefaultMaxEventsPerAggregate
	}
	return c
}

// Store appends events to and loads them from the JetStream event stream.
// It is safe for concurrent use.
type Store struct {
	js       jetstream.JetStream
	stream   jetstream.Stream
	name     string
	replicas int
	cache    *cache[[]Envelope]
	states   *cache[any]      // snapshot[S] of LoadState, by Fold.key
	lasts    *cache[Envelope] // Last's answers
	// head is the newest stream sequence the store has seen, and created
	// the stream's creation time: see unchanged.
	head    atomic.Uint64
	created time.Time
	recent  uint64 // recentEvents, but in tests
	// snapshots is the bucket of LoadState's snapshots; snapshotEvery is
	// Config.SnapshotEvery (0: none are written).
	snapshots     *snapshotBucket
	snapshotEvery int
	ids           domain.IDs
	// conflicts is Config.ForceConflicts.
	conflicts func(attempt int) bool
	metrics   *metrics.Metrics
}

// Open creates or updates the event stream and returns a store on it.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("eventstore: jetstream: %w", err)
	}
	stream, err := ensureStream(ctx, js, cfg)
	if err != nil {
		return nil, err
	}
	return withHead(&Store{
		js:            js,
		stream:        stream,
		name:          cfg.Stream,
		replicas:      cfg.Replicas,
		cache:         newSizedCache(cfg.CacheSize, cfg.CacheBytes, envelopesSize),
		states:        newCache[any](cfg.CacheSize),
		lasts:         newLastsCache(cfg),
		created:       createdAt(stream),
		recent:        recentEvents,
		snapshots:     newSnapshotBucket(js, cfg.Stream, cfg.Replicas),
		snapshotEvery: cfg.SnapshotEvery,
		ids:           domain.RandomIDs{},
		conflicts:     cfg.ForceConflicts,
		metrics:       cfg.Metrics,
	}), nil
}

// OpenExisting returns a store on an event stream that must exist, without
// creating or changing it: for readers whose NATS user may not write, such
// as authtrail replay against a running server.
func OpenExisting(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("eventstore: jetstream: %w", err)
	}
	stream, err := js.Stream(ctx, cfg.Stream)
	if err != nil {
		return nil, fmt.Errorf("eventstore: stream %s: %w", cfg.Stream, err)
	}
	replicas := stream.CachedInfo().Config.Replicas
	// A reader may not write: it reads snapshots but never puts one.
	return withHead(&Store{js: js, stream: stream, name: cfg.Stream, replicas: replicas,
		cache: newSizedCache(cfg.CacheSize, cfg.CacheBytes, envelopesSize), states: newCache[any](cfg.CacheSize),
		lasts: newLastsCache(cfg), created: createdAt(stream), recent: recentEvents,
		snapshots: newSnapshotBucket(js, cfg.Stream, replicas),
		ids:       domain.RandomIDs{}, conflicts: cfg.ForceConflicts, metrics: cfg.Metrics}), nil
}

// withHead starts the store's notion of the stream's newest event at what
// the stream held when it was opened, so the first loads already know
// which events are old (eventstore/current.go).
func withHead(s *Store) *Store {
	if info := s.stream.CachedInfo(); info != nil {
		s.notePosition(info.State.LastSeq)
	}
	return s
}

// JetStream returns the JetStream context the store uses.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// Stream returns the name of the event stream.
func (s *Store) Stream() string { return s.name }

// Replicas is the stream's replica count, for companion buckets and streams.
func (s *Store) Replicas() int { return s.replicas }

// Metrics are the metrics the store records into (nil: none), so that the
// components built on the store (workers) can record into the same ones.
func (s *Store) Metrics() *metrics.Metrics { return s.metrics }

// streamConfig is the event stream's configuration: events are kept for ever
// (limits retention without an age, no delete, no purge), an aggregate at
// its cap refuses new events rather than losing old ones, a retried append
// is recognised by its id for two minutes, and atomic batches carry the
// commits that touch several aggregates.
func streamConfig(cfg Config) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:      cfg.Stream,
		Subjects:  []string{SubjectPrefix + ".>"},
		Storage:   jetstream.FileStorage,
		Replicas:  cfg.Replicas,
		Retention: jetstream.LimitsPolicy,
		MaxAge:    0,
		// DiscardOld would silently drop the oldest events of an aggregate.
		Discard:              jetstream.DiscardNew,
		MaxMsgsPerSubject:    int64(cfg.MaxEventsPerAggregate),
		DiscardNewPerSubject: true,
		Duplicates:           2 * time.Minute,
		DenyDelete:           true,
		DenyPurge:            true,
		AllowAtomicPublish:   true,
		// A direct get skips the JetStream API queue (a goroutine hop on
		// every load), but on a replicated stream a stale replica may
		// answer it; there reads go to the leader so a load sees every
		// acknowledged append. A single replica is always current.
		AllowDirect: cfg.Replicas == 1,
		Compression: jetstream.S2Compression,
	}
}

// ensureStream creates the stream, or brings an existing one to our
// settings while keeping those we do not manage (description, metadata...).
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg Config) (jetstream.Stream, error) {
	want := streamConfig(cfg)
	stream, err := js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		stream, err = js.CreateStream(ctx, want)
		if err != nil {
			return nil, fmt.Errorf("eventstore: create stream %s: %w", want.Name, err)
		}
		return stream, nil
	}
	if err != nil {
		return nil, fmt.Errorf("eventstore: look up stream %s: %w", want.Name, err)
	}
	have := stream.CachedInfo().Config
	merged := overlay(have, want)
	if reflect.DeepEqual(have, merged) {
		return stream, nil
	}
	stream, err = js.UpdateStream(ctx, merged)
	if err != nil {
		return nil, fmt.Errorf("eventstore: stream %s exists with other settings and the server refused to update it: %w", want.Name, err)
	}
	return stream, nil
}

// overlay returns have with every setting the store depends on taken from
// want.
func overlay(have, want jetstream.StreamConfig) jetstream.StreamConfig {
	have.Subjects = want.Subjects
	have.Storage = want.Storage
	have.Replicas = want.Replicas
	have.Retention = want.Retention
	have.MaxAge = want.MaxAge
	have.Discard = want.Discard
	have.MaxMsgsPerSubject = want.MaxMsgsPerSubject
	have.DiscardNewPerSubject = want.DiscardNewPerSubject
	have.Duplicates = want.Duplicates
	have.DenyDelete = want.DenyDelete
	have.DenyPurge = want.DenyPurge
	have.AllowAtomicPublish = want.AllowAtomicPublish
	have.AllowDirect = want.AllowDirect
	have.Compression = want.Compression
	return have
}
