package publicstream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers"
)

// Name is the worker's handler name.
const Name = "public_stream"

// Consumer is the worker's durable consumer: the whole log, in order
// (every worker consumer hands out one event at a time), never dropping an
// event.
// It resumes after the last event in AUTH_EVENTS, which is written with
// asynchronous persistence: a crash may lose that stream's unflushed tail
// after the log's events were acknowledged, and they are then published
// again.
func (w *Worker) Consumer() workers.ConsumerConfig {
	// The default AckWait is short: an event lost in flight (a pull left
	// behind by a stopped or reopened subscription) comes back within
	// seconds.
	return workers.ConsumerConfig{Stream: eventstore.DefaultStream, Durable: workers.DurablePrefix + Name, MaxDeliver: -1,
		BackOff:     []time.Duration{100 * time.Millisecond, time.Second, 5 * time.Second},
		ResumeAfter: w.resumeAfter}
}

// resumeAfter is the log sequence of the last event in AUTH_EVENTS; not
// known when the stream is empty (new, or every message aged out), so a
// consumer is never sent back to the start of the log.
func (w *Worker) resumeAfter(ctx context.Context) (uint64, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.loadLast(ctx); err != nil {
		return 0, false, err
	}
	return w.last, w.last > 0, nil
}

// StreamConfig is AUTH_EVENTS: limits retention (maxAge 0 keeps
// everything), so a consumer created at any time can read the whole
// history. On a single node its writes are persisted asynchronously: the
// stream is derived from the log, which is fsync'd, and the worker
// republishes whatever a crash took from its tail (Worker.Consumer); an
// fsync per public event cost sign-ins a sixth of their rate.
func StreamConfig(replicas int, maxAge time.Duration) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        Stream,
		Description: "authtrail's public events: CloudEvents 1.0, one per event of the log (docs/audit.md)",
		Subjects:    []string{SubjectPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      maxAge,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
		Duplicates:  2 * time.Minute,
		AllowDirect: true,
		PersistMode: persistMode(replicas),
	}
}

// persistMode is asynchronous on a single node. JetStream refuses it on a
// replicated stream, where the replicas' raft log stands behind writes.
func persistMode(replicas int) jetstream.PersistModeType {
	if replicas > 1 {
		return jetstream.DefaultPersistMode
	}
	return jetstream.AsyncPersistMode
}

// EnsureStream creates or updates AUTH_EVENTS. A stream created before
// asynchronous persistence keeps its mode: JetStream cannot change it, and
// the stream's history is the consumers'.
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int, maxAge time.Duration) (jetstream.Stream, error) {
	cfg := StreamConfig(replicas, maxAge)
	existing, err := js.Stream(ctx, Stream)
	switch {
	case err == nil:
		cfg.PersistMode = existing.CachedInfo().Config.PersistMode
	case !errors.Is(err, jetstream.ErrStreamNotFound):
		return nil, fmt.Errorf("publicstream: stream %s: %w", Stream, err)
	}
	s, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("publicstream: stream %s: %w", Stream, err)
	}
	return s, nil
}

// Worker republishes each public event once, in the log's order.
type Worker struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	source string

	mu sync.Mutex
	// last is the log sequence of the last event known to be in
	// AUTH_EVENTS; 0 until read from the stream.
	last   uint64
	loaded bool
}

// New returns the worker; source is the server's public URL.
func New(js jetstream.JetStream, stream jetstream.Stream, source string) *Worker {
	return &Worker{js: js, stream: stream, source: source}
}

// Handle publishes one event. Exactly once: JetStream drops a publish whose
// Nats-Msg-Id it has seen within its duplicate window, and an event at or
// below the last one in AUTH_EVENTS (read from the stream after a
// redelivery, so a crash that outlives the window republishes nothing) is
// passed over. Events are handled one at a time in log order, so the last
// message of AUTH_EVENTS names everything before it.
func (w *Worker) Handle(msg *message.Message) error {
	env, err := workers.Envelope(msg)
	if err != nil {
		return workers.Permanent(err)
	}
	if !Public(env.AggType) {
		return nil
	}
	ctx := msg.Context()
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.loaded || msg.Metadata.Get(workers.MetadataNumDelivered) != "1" {
		if err := w.loadLast(ctx); err != nil {
			return err
		}
	}
	if env.Seq <= w.last {
		return nil // published before a crash or a lost ack
	}
	data, err := Marshal(env, w.source)
	if err != nil {
		return workers.Permanent(err)
	}
	out := nats.NewMsg(Subject(env.Type))
	out.Header.Set(jetstream.MsgIDHeader, env.ID)
	out.Header.Set("content-type", ContentType)
	out.Header.Set(HeaderSeq, strconv.FormatUint(env.Seq, 10))
	out.Data = data
	if _, err := w.js.PublishMsg(ctx, out); err != nil {
		return fmt.Errorf("publicstream: publish event %d: %w", env.Seq, err)
	}
	w.last = env.Seq
	return nil
}

// loadLast reads the log sequence of the last message in AUTH_EVENTS.
func (w *Worker) loadLast(ctx context.Context) error {
	m, err := w.stream.GetLastMsgForSubject(ctx, SubjectPrefix+".>")
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		w.last = 0
	case err != nil:
		return fmt.Errorf("publicstream: last message of %s: %w", Stream, err)
	default:
		n, perr := strconv.ParseUint(m.Header.Get(HeaderSeq), 10, 64)
		if perr != nil {
			return workers.Permanent(fmt.Errorf("publicstream: message %d of %s without %s", m.Sequence, Stream, HeaderSeq))
		}
		w.last = n
	}
	w.loaded = true
	return nil
}
