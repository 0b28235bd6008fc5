package eventstore

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// scanBatch is how many events Scan fetches per round trip.
const scanBatch = 256

// Scan calls fn with every event of the stream in order, from the first to
// the last stored when Scan starts, through an ordered consumer of its own.
// It stops at fn's first error and returns it.
func (s *Store) Scan(ctx context.Context, fn func(Envelope) error) error {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("eventstore: scan: %w", err)
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 {
		return nil
	}
	cons, err := s.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return fmt.Errorf("eventstore: scan: %w", err)
	}
	for {
		batch, err := cons.Fetch(scanBatch)
		if err != nil {
			return fmt.Errorf("eventstore: scan: %w", err)
		}
		for msg := range batch.Messages() {
			md, err := msg.Metadata()
			if err != nil {
				return fmt.Errorf("eventstore: scan: %w", err)
			}
			env, err := EnvelopeOf(msg.Subject(), md.Sequence.Stream, msg.Headers(), msg.Data())
			if err != nil {
				return err
			}
			if err := fn(env); err != nil {
				return err
			}
			if md.Sequence.Stream >= last {
				return nil
			}
		}
		if err := batch.Error(); err != nil {
			return fmt.Errorf("eventstore: scan: %w", err)
		}
	}
}
