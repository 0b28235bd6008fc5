package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore"
)

// ackWait is how long the server waits for an event's ack before handing
// it out again, e.g. after a crash mid-Apply.
const ackWait = 30 * time.Second

// retryPause is the wait before pulling again after the pull failed
// (connection trouble, consumer deleted).
const retryPause = 250 * time.Millisecond

// retryDelays is the wait before redelivering an event whose Apply failed,
// by delivery count; the last step repeats. Short first steps keep a brief
// outage (a KV leader election) brief.
var retryDelays = []time.Duration{50 * time.Millisecond, 250 * time.Millisecond, time.Second, 5 * time.Second, 30 * time.Second}

// Runner feeds projections their events from durable consumers on the
// event stream. It is safe for concurrent use: run each projection in a
// goroutine of its own.
type Runner struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	stream string
	log    *slog.Logger
}

// NewRunner returns a runner on the event stream (eventstore.DefaultStream
// when empty). nc should be the runner's own connection.
func NewRunner(nc *nats.Conn, stream string, log *slog.Logger) *Runner {
	if stream == "" {
		stream = eventstore.DefaultStream
	}
	if log == nil {
		log = slog.Default()
	}
	// jetstream.New fails only on invalid options, and none are given.
	js, _ := jetstream.New(nc)
	return &Runner{nc: nc, js: js, stream: stream, log: log}
}

// consumerConfig is p's durable consumer. MaxAckPending is 1, not a batch:
// with more in flight, events after a
// Nak'd one are applied before it, and the record's lastSeq guard then
// skips the Nak'd event for good. With one in flight the server hands out
// events in stream order, even across Naks and several processes.
func consumerConfig(p Projection) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        ConsumerName(p),
		FilterSubjects: p.FilterSubjects(),
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        ackWait,
		MaxDeliver:     -1, // never drop an event
		MaxAckPending:  1,
	}
}

// Run applies p's events in stream order until ctx ends (it then returns
// nil) or an event cannot be applied for good: Run then logs the error and
// returns it, leaving that event unacknowledged, so the projection stays
// halted at it until an operator acts. Other errors are retried with
// backoff. The consumer keeps the position across runs and processes.
func (r *Runner) Run(ctx context.Context, p Projection) error {
	if err := validate(p); err != nil {
		return err
	}
	log := r.log.With("projection", ConsumerName(p))
	cons, err := r.js.CreateOrUpdateConsumer(ctx, r.stream, consumerConfig(p))
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("projections: create consumer %s on %s: %w", ConsumerName(p), r.stream, err)
	}
	for {
		// One event per pull: once it is settled no pull is outstanding,
		// so stopping never strands an event in this client until AckWait.
		m, err := cons.Next(jetstream.FetchContext(ctx))
		switch {
		case ctx.Err() != nil:
			if m != nil {
				_ = m.Nak()
			}
			return nil
		case errors.Is(err, nats.ErrTimeout):
			continue // no new events while the pull was open
		case err != nil:
			if cons, err = r.recover(ctx, p, log, err); cons == nil {
				return err // nil once ctx ended
			}
			continue
		}
		if err := r.handle(ctx, p, m, log); err != nil {
			return err
		}
	}
}

// recover waits and recreates the consumer after a failed pull. It gives
// up, returning no consumer, when ctx ends (nil error) or the connection is
// closed for good.
func (r *Runner) recover(ctx context.Context, p Projection, log *slog.Logger, cause error) (jetstream.Consumer, error) {
	for {
		if r.nc.IsClosed() {
			return nil, fmt.Errorf("projections: %s: connection closed: %w", ConsumerName(p), cause)
		}
		log.Warn("pulling events failed; retrying", "err", cause)
		select {
		case <-ctx.Done():
			return nil, nil
		case <-time.After(retryPause):
		}
		cons, err := r.js.CreateOrUpdateConsumer(ctx, r.stream, consumerConfig(p))
		switch {
		case err == nil:
			return cons, nil
		case ctx.Err() != nil:
			return nil, nil
		}
		cause = err
	}
}

// handle applies one event and settles it. It returns an error only when
// the projection must halt.
func (r *Runner) handle(ctx context.Context, p Projection, m jetstream.Msg, log *slog.Logger) error {
	md, err := m.Metadata()
	if err != nil {
		err = fmt.Errorf("%w: message on %s without JetStream metadata: %v", ErrPermanent, m.Subject(), err)
		return halt(p, m, 0, log, err)
	}
	seq := md.Sequence.Stream
	env, err := envelopeOf(m, md)
	if err == nil {
		err = p.Apply(ctx, env)
	}
	switch {
	case err == nil:
		// A lost ack only means a redelivery, which the lastSeq guard skips.
		if err := m.Ack(); err != nil {
			log.Warn("ack failed", "seq", seq, "err", err)
		}
		return nil
	case errors.Is(err, ErrPermanent):
		return halt(p, m, seq, log, err)
	case ctx.Err() != nil:
		// Stopping mid-Apply: hand the event back now, not after AckWait.
		_ = m.Nak()
		return nil
	default:
		delay := retryDelay(md.NumDelivered)
		log.Warn("applying event failed; retrying", "seq", seq, "type", env.Type,
			"delivery", md.NumDelivered, "retry_in", delay, "err", err)
		if err := m.NakWithDelay(delay); err != nil {
			log.Warn("nak failed; the event returns after AckWait", "seq", seq, "err", err)
		}
		return nil
	}
}

// halt hands the event back unapplied, so the next Run starts with it
// rather than wait for AckWait, and reports why the projection stopped.
func halt(p Projection, m jetstream.Msg, seq uint64, log *slog.Logger, err error) error {
	log.Error("projection halted: the event cannot be applied and is not skipped", "seq", seq, "err", err)
	if nakErr := m.Nak(); nakErr != nil {
		log.Warn("nak failed; the event returns after AckWait", "seq", seq, "err", nakErr)
	}
	return fmt.Errorf("projections: %s halted at event %d: %w", ConsumerName(p), seq, err)
}

// retryDelay is the wait before the redelivery that follows delivery n.
func retryDelay(numDelivered uint64) time.Duration {
	i := int(min(numDelivered, uint64(len(retryDelays)))) - 1
	return retryDelays[max(i, 0)]
}
