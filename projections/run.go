package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore"
)

// batchMax bounds the events of one SQLite transaction. A backlog (a
// rebuild, a start after downtime) fills batches; live traffic commits
// whatever has arrived, often one event. Larger batches amortise the
// commit (a WAL write) over more rows.
const batchMax = 5000

// handoff is how many read messages wait for the applying goroutine: the
// client already buffers a pull's worth, and every slot here is memory the
// collector scans for the life of the run.
const handoff = 1024

// coalesce is how long a batch waits for more events after its first.
const coalesce = 5 * time.Millisecond

// inactiveThreshold removes the consumer of a database that is gone (a
// deleted file, a process that left) once nobody has pulled for this long.
const inactiveThreshold = time.Hour

// retryDelays is the wait before retrying a batch that failed, by attempt;
// the last step repeats. Short first steps keep a brief outage brief.
var retryDelays = []time.Duration{50 * time.Millisecond, 250 * time.Millisecond, time.Second, 5 * time.Second, 30 * time.Second}

// run is one version of a projection, fed by its own consumer.
type run struct {
	host *Host
	p    Projection
	t    Tables
	log  *slog.Logger

	checkpoint atomic.Uint64
	signalMu   sync.Mutex
	advanced   chan struct{} // closed and replaced at every commit and at the end

	// caughtUp, when set, is called once after a commit that reached the
	// end of the stream (a rebuild's cue to cut over).
	caughtUp func()
	// indexed: the reader-only indexes exist (Indexer); a version makes them
	// when it first reaches the end of the log.
	indexed bool

	errMu   sync.Mutex
	halted  bool
	lastErr error

	cancel context.CancelFunc
	done   chan struct{}
}

func newRun(h *Host, p Projection, version int, checkpoint uint64) *run {
	r := &run{host: h, p: p, t: Tables{Name: p.Name(), Version: version}, advanced: make(chan struct{}), done: make(chan struct{})}
	r.log = h.log.With("projection", p.Name(), "version", version)
	r.checkpoint.Store(checkpoint)
	return r
}

// start runs the version until stop.
func (r *run) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	r.cancel = cancel
	go func() {
		defer close(r.done)
		defer r.signal()
		r.loop(ctx)
	}()
}

// stop ends the run and waits for it.
func (r *run) stop() {
	r.cancel()
	<-r.done
}

// signal wakes everyone waiting for the checkpoint to move.
func (r *run) signal() {
	r.signalMu.Lock()
	close(r.advanced)
	r.advanced = make(chan struct{})
	r.signalMu.Unlock()
}

func (r *run) changed() <-chan struct{} {
	r.signalMu.Lock()
	defer r.signalMu.Unlock()
	return r.advanced
}

// loop consumes until ctx ends or an event cannot be applied for good; it
// retries everything else with backoff, from the last checkpoint.
func (r *run) loop(ctx context.Context) {
	for attempt := 0; ; attempt++ {
		err := r.consume(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, ErrPermanent) {
			r.setError(err, true)
			r.log.Error("projection halted: the event cannot be applied and is not skipped", "err", err)
			return
		}
		r.setError(err, false)
		delay := retryDelays[min(attempt, len(retryDelays)-1)]
		r.log.Warn("projection failed; retrying from its checkpoint", "checkpoint", r.checkpoint.Load(), "retry_in", delay, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

func (r *run) setError(err error, halted bool) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	r.lastErr, r.halted = err, halted
}

// state reports whether the run halted and its last error.
func (r *run) state() (halted bool, lastErr error) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.halted, r.lastErr
}

// consume reads the log from the checkpoint on, one batch per transaction.
// The consumer is created afresh from the checkpoint held in the database,
// so the consumer's position can never run ahead of the rows.
func (r *run) consume(ctx context.Context) error {
	cons, err := r.host.consumer(ctx, r.t, r.checkpoint.Load())
	if err != nil {
		return err
	}
	msgs := make(chan delivered, handoff)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		// Reading the envelope here, on the client's delivery goroutine,
		// takes it off the one goroutine that applies and commits.
		d := delivered{msg: m}
		d.md, d.err = m.Metadata()
		if d.err == nil {
			d.env, d.err = envelopeOf(m, d.md)
		}
		select {
		case msgs <- d:
		case <-ctx.Done():
		}
	}, jetstream.PullMaxMessages(batchMax), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		r.log.Debug("consumer", "err", err)
	}))
	if err != nil {
		return fmt.Errorf("projections: consume %s: %w", r.t.consumer(r.host.db.instance), err)
	}
	defer cc.Stop()
	batch := make([]delivered, 0, batchMax)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return nil
		case <-cc.Closed():
			return fmt.Errorf("projections: consumer %s closed", r.t.consumer(r.host.db.instance))
		case m := <-msgs:
			batch = append(batch, m)
		}
		// Live traffic arrives an event at a time; waiting a moment for the
		// rest of a request's events commits them in one transaction
		// instead of one each.
		linger := time.NewTimer(coalesce)
	more:
		for len(batch) < batchMax {
			select {
			case m := <-msgs:
				batch = append(batch, m)
			case <-linger.C:
				break more
			case <-ctx.Done():
				break more
			}
		}
		linger.Stop()
		if err := r.apply(ctx, batch); err != nil {
			return err
		}
	}
}

// delivered is a message with what was read from it on arrival.
type delivered struct {
	msg jetstream.Msg
	md  *jetstream.MsgMetadata
	env eventstore.Envelope
	err error // reading the metadata or the envelope
}

// apply folds a batch in one transaction with the new checkpoint. When an
// event cannot be applied for good, the events before it are committed
// and the error names the event.
func (r *run) apply(ctx context.Context, batch []delivered) error {
	envs := make([]eventstore.Envelope, 0, len(batch))
	var lastMeta *jetstream.MsgMetadata
	for _, d := range batch {
		if d.md == nil {
			return fmt.Errorf("%w: message on %s without JetStream metadata: %v", ErrPermanent, d.msg.Subject(), d.err)
		}
		lastMeta = d.md
		if d.md.Sequence.Stream <= r.checkpoint.Load() {
			continue // a redelivery of what is committed
		}
		if d.err != nil {
			return r.applyBefore(ctx, envs, d.err)
		}
		envs = append(envs, d.env)
	}
	// A version makes its reader-only indexes when it first reaches the end
	// of the log, in the transaction that gets there: readers that see the
	// checkpoint see the indexes.
	atEnd := lastMeta.NumPending == 0
	if len(envs) > 0 {
		failed, err := r.commit(ctx, envs, atEnd && !r.indexed)
		if errors.Is(err, ErrPermanent) {
			return r.applyBefore(ctx, envs[:failed], err)
		}
		if err != nil {
			return err
		}
	}
	if atEnd && !r.indexed {
		// At the end with nothing new to commit (redeliveries only).
		if err := r.host.db.index(ctx, r.p, r.t); err != nil {
			return fmt.Errorf("projections: indexes of %s: %w", r.t.prefix(), err)
		}
		r.indexed = true
	}
	r.setError(nil, false)
	if atEnd && r.caughtUp != nil {
		r.caughtUp()
	}
	return nil
}

// applyBefore commits the events before the one that halts, then returns
// cause, so the projection halts exactly at that event.
func (r *run) applyBefore(ctx context.Context, envs []eventstore.Envelope, cause error) error {
	if len(envs) > 0 {
		if _, err := r.commit(ctx, envs, false); err != nil {
			return err
		}
	}
	return cause
}

// commit applies envs in one transaction with the checkpoint, and the
// reader-only indexes if index is set. On an error it rolls back and
// reports the index of the event that failed.
func (r *run) commit(ctx context.Context, envs []eventstore.Envelope, index bool) (failed int, err error) {
	tx, err := r.host.db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("projections: begin: %w", err)
	}
	rollback := func(i int, err error) (int, error) {
		_ = tx.Rollback()
		if res, ok := r.p.(Resetter); ok {
			res.Reset(r.t)
		}
		return i, err
	}
	b, err := r.p.Begin(ctx, tx, r.t)
	if err != nil {
		return rollback(0, err)
	}
	for i, env := range envs {
		if err := b.Apply(ctx, env); err != nil {
			return rollback(i, fmt.Errorf("projections: %s v%d: event %d (%s): %w", r.t.Name, r.t.Version, env.Seq, env.Type, err))
		}
	}
	if err := b.Flush(ctx); err != nil {
		return rollback(len(envs), err)
	}
	last := envs[len(envs)-1].Seq
	if err := setCheckpoint(ctx, tx, r.t, last); err != nil {
		return rollback(len(envs), err)
	}
	if ix, ok := r.p.(Indexer); ok && index {
		if err := ix.CreateIndexes(ctx, tx, r.t); err != nil {
			return rollback(len(envs), fmt.Errorf("projections: indexes of %s: %w", r.t.prefix(), err))
		}
	}
	if err := tx.Commit(); err != nil {
		return rollback(len(envs), fmt.Errorf("projections: commit: %w", err))
	}
	r.indexed = r.indexed || index
	r.checkpoint.Store(last)
	r.setError(nil, false) // before waiters wake: the error is over
	r.signal()
	return len(envs), nil
}

func setCheckpoint(ctx context.Context, tx *sql.Tx, t Tables, seq uint64) error {
	_, err := tx.ExecContext(ctx, `UPDATE projection_versions SET checkpoint = ? WHERE name = ? AND version = ?`, seq, t.Name, t.Version)
	return err
}

// envelopeOf rebuilds the envelope of a delivered event. Every stored event
// has a type; a missing one, or a malformed header, means the message was
// not written by eventstore, which is ErrPermanent.
func envelopeOf(m jetstream.Msg, md *jetstream.MsgMetadata) (eventstore.Envelope, error) {
	env, err := eventstore.EnvelopeOf(m.Subject(), md.Sequence.Stream, m.Headers(), m.Data())
	if err != nil {
		return env, fmt.Errorf("%w: event %d: %v", ErrPermanent, md.Sequence.Stream, err)
	}
	if env.Type == "" {
		return env, fmt.Errorf("%w: event %d (%s): header %s: missing", ErrPermanent, env.Seq, env.Subject, eventstore.HeaderType)
	}
	return env, nil
}
