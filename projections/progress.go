package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// WaitFor polls the server, so it works for a projection run by any
// process; the interval grows from minPoll to maxPoll.
const (
	minPoll = 2 * time.Millisecond
	maxPoll = 50 * time.Millisecond
)

// Lag is how many of p's events are not applied yet: those not delivered
// plus those delivered and not acknowledged, as the consumer counts them
// (0 for a consumer that has no leader yet). It is for metrics; use
// WaitFor to wait for an event.
func (r *Runner) Lag(ctx context.Context, p Projection) (uint64, error) {
	info, err := r.consumerInfo(ctx, p)
	if err != nil {
		return 0, err
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}

// WaitFor blocks until p has applied every one of its events up to stream
// sequence seq, for read-your-writes after a command that returned seq.
// seq may be any event's, including one p does not read. It returns an
// error wrapping ctx's once ctx ends first, e.g. while p is halted.
func (r *Runner) WaitFor(ctx context.Context, p Projection, seq uint64) error {
	stream, err := r.js.Stream(ctx, r.stream)
	if err != nil {
		return fmt.Errorf("projections: stream %s: %w", r.stream, err)
	}
	poll := minPoll
	for {
		done, err := r.reached(ctx, stream, p, seq)
		switch {
		case done:
			return nil
		case err != nil && ctx.Err() == nil && !errors.Is(err, jetstream.ErrConsumerNotFound):
			// A missing consumer is a projection not started yet: wait.
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("projections: %s did not reach event %d: %w", ConsumerName(p), seq, ctx.Err())
		case <-time.After(poll):
		}
		poll = min(2*poll, maxPoll)
	}
}

// reached reports whether p has applied every one of its events up to seq:
// whether none lies between its consumer's ack floor and seq. The
// consumer's pending counts are no help: they read 0 until the consumer
// has a leader, as when it was just created.
func (r *Runner) reached(ctx context.Context, stream jetstream.Stream, p Projection, seq uint64) (bool, error) {
	if stream.CachedInfo().State.LastSeq < seq {
		// Events after the stream's end may yet be p's.
		info, err := stream.Info(ctx)
		if err != nil {
			return false, fmt.Errorf("projections: stream %s: %w", r.stream, err)
		}
		if info.State.LastSeq < seq {
			return false, nil
		}
	}
	info, err := r.consumerInfo(ctx, p)
	if err != nil {
		return false, err
	}
	floor := info.AckFloor.Stream
	if floor >= seq {
		return true, nil
	}
	for _, filter := range p.FilterSubjects() {
		next, err := stream.GetMsg(ctx, floor+1, jetstream.WithGetMsgSubject(filter))
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
		case err != nil:
			return false, fmt.Errorf("projections: next event of %s after %d: %w", ConsumerName(p), floor, err)
		case next.Sequence <= seq:
			return false, nil
		}
	}
	return true, nil
}

func (r *Runner) consumerInfo(ctx context.Context, p Projection) (*jetstream.ConsumerInfo, error) {
	cons, err := r.js.Consumer(ctx, r.stream, ConsumerName(p))
	if err != nil {
		return nil, fmt.Errorf("projections: consumer %s on %s: %w", ConsumerName(p), r.stream, err)
	}
	return cons.CachedInfo(), nil
}
