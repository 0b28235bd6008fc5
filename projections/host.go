package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore"
)

// ErrUnknown is the error of a projection name the host does not run.
var ErrUnknown = errors.New("projections: no such projection")

// Host runs the projections of one database: the live version of each,
// and a version being rebuilt beside it.
type Host struct {
	db     *DB
	js     jetstream.JetStream
	stream string
	log    *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex // guards building and cut-overs
	entries map[string]*entry
	names   []string
}

// entry is one projection's versions.
type entry struct {
	p Projection
	// readers is held by every query for its duration; a cut-over takes it
	// to swap live and drop the old version's tables.
	readers  sync.RWMutex
	live     *run
	building *run
}

// Start opens the projections' versions in db and runs them on the log of
// js's stream (eventstore.DefaultStream when empty) until Stop. A
// projection without a live version of its shape gets one, built from the
// first event; a rebuild that a crash interrupted goes on.
func Start(ctx context.Context, db *DB, js jetstream.JetStream, stream string, log *slog.Logger, ps ...Projection) (*Host, error) {
	if stream == "" {
		stream = eventstore.DefaultStream
	}
	if log == nil {
		log = slog.Default()
	}
	runCtx, cancel := context.WithCancel(context.Background())
	h := &Host{db: db, js: js, stream: stream, log: log, ctx: runCtx, cancel: cancel, entries: map[string]*entry{}}
	for _, p := range ps {
		if err := validate(p); err != nil {
			cancel()
			return nil, err
		}
		if _, dup := h.entries[p.Name()]; dup {
			cancel()
			return nil, fmt.Errorf("projections: %s registered twice", p.Name())
		}
		e, err := h.open(ctx, p)
		if err != nil {
			h.Stop()
			return nil, fmt.Errorf("projections: %s: %w", p.Name(), err)
		}
		h.entries[p.Name()] = e
		h.names = append(h.names, p.Name())
	}
	slices.Sort(h.names)
	return h, nil
}

// open settles p's stored versions and starts them.
func (h *Host) open(ctx context.Context, p Projection) (*entry, error) {
	rows, err := h.db.versions(ctx, p.Name())
	if err != nil {
		return nil, err
	}
	e := &entry{p: p}
	next := 1
	var kept []versionRow
	for _, v := range rows {
		next = max(next, v.Version+1)
		if v.Shape != p.Shape() {
			// This build cannot read that shape: build its own instead.
			h.log.Warn("dropping a projection version of another shape", "projection", p.Name(), "version", v.Version,
				"shape", v.Shape, "want", p.Shape())
			if err := h.db.dropVersion(ctx, Tables{Name: p.Name(), Version: v.Version}); err != nil {
				return nil, err
			}
			continue
		}
		kept = append(kept, v)
	}
	if err := h.db.dropOrphans(ctx, p.Name(), kept); err != nil {
		return nil, err
	}
	for _, v := range kept {
		r := newRun(h, p, v.Version, v.Checkpoint)
		if v.State == "live" {
			e.live = r
		} else {
			e.building = r
		}
	}
	if e.live == nil && e.building != nil {
		// Without a live version, the one being built becomes it.
		if err := h.setLive(ctx, p.Name(), e.building.t.Version, 0); err != nil {
			return nil, err
		}
		e.live, e.building = e.building, nil
	}
	if e.live == nil {
		if err := h.db.createVersion(ctx, p, next, "live"); err != nil {
			return nil, err
		}
		e.live = newRun(h, p, next, 0)
	}
	e.live.start(h.ctx)
	if e.building != nil {
		h.log.Info("resuming an interrupted rebuild", "projection", p.Name(), "version", e.building.t.Version,
			"checkpoint", e.building.checkpoint.Load())
		h.startBuilding(e, e.building)
	}
	return e, nil
}

// consumer creates the version's durable consumer afresh, starting right
// after checkpoint. The checkpoint in the read model is the position that
// counts, so the consumer keeps no position worth an ack or a disk write:
// it acknowledges nothing (a failed batch recreates it from the checkpoint)
// and keeps its state in the server's memory (with sync always on, a file
// would be fsync'd ten times a second for nothing).
func (h *Host) consumer(ctx context.Context, t Tables, checkpoint uint64) (jetstream.Consumer, error) {
	name := t.consumer(h.db.instance)
	if err := h.js.DeleteConsumer(ctx, h.stream, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("projections: delete consumer %s: %w", name, err)
	}
	cfg := jetstream.ConsumerConfig{
		Durable:           name,
		Description:       "read model " + t.prefix() + " (docs/audit.md)",
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		AckPolicy:         jetstream.AckNonePolicy,
		InactiveThreshold: inactiveThreshold,
		MemoryStorage:     true,
	}
	if checkpoint > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, checkpoint+1
	}
	cons, err := h.js.CreateConsumer(ctx, h.stream, cfg)
	if err != nil {
		return nil, fmt.Errorf("projections: create consumer %s: %w", name, err)
	}
	return cons, nil
}

// Stop ends every projection.
func (h *Host) Stop() {
	h.cancel()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.entries {
		for _, r := range []*run{e.live, e.building} {
			if r != nil && r.cancel != nil {
				<-r.done
			}
		}
	}
}

func (h *Host) entry(name string) (*entry, error) {
	e, ok := h.entries[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknown, name)
	}
	return e, nil
}

// Names lists the projections, sorted.
func (h *Host) Names() []string { return slices.Clone(h.names) }

// Read runs a query on the live version of a projection; the version stays
// while fn runs. lastSeq is the version's checkpoint as fn starts.
func (h *Host) Read(name string, fn func(db *sql.DB, t Tables, lastSeq uint64) error) error {
	e, err := h.entry(name)
	if err != nil {
		return err
	}
	e.readers.RLock()
	defer e.readers.RUnlock()
	return fn(h.db.read, e.live.t, e.live.checkpoint.Load())
}

// LastSeq is the checkpoint of a projection's live version.
func (h *Host) LastSeq(name string) (uint64, error) {
	e, err := h.entry(name)
	if err != nil {
		return 0, err
	}
	e.readers.RLock()
	defer e.readers.RUnlock()
	return e.live.checkpoint.Load(), nil
}

// WaitFor blocks until the live version of a projection has processed the
// log up to seq (read-your-writes after a command that returned seq), or
// ctx ends.
func (h *Host) WaitFor(ctx context.Context, name string, seq uint64) error {
	e, err := h.entry(name)
	if err != nil {
		return err
	}
	for {
		e.readers.RLock()
		r := e.live
		e.readers.RUnlock()
		changed := r.changed()
		if r.checkpoint.Load() >= seq {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("projections: %s did not reach event %d: %w", name, seq, ctx.Err())
		case <-changed:
		}
	}
}

// WaitCurrent waits until every live version has processed the whole log
// as it stands now.
func (h *Host) WaitCurrent(ctx context.Context) error {
	last, err := h.streamSeq(ctx)
	if err != nil {
		return err
	}
	for _, name := range h.names {
		if err := h.WaitFor(ctx, name, last); err != nil {
			return err
		}
	}
	return nil
}

func (h *Host) streamSeq(ctx context.Context) (uint64, error) {
	s, err := h.js.Stream(ctx, h.stream)
	if err != nil {
		return 0, fmt.Errorf("projections: stream %s: %w", h.stream, err)
	}
	return s.CachedInfo().State.LastSeq, nil
}
