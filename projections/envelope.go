package projections

import (
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore"
)

// envelopeOf rebuilds the envelope of a delivered event. Every stored event
// has a type; a missing one, or a malformed header, means the message was
// not written by eventstore, which is ErrPermanent.
func envelopeOf(m jetstream.Msg, md *jetstream.MsgMetadata) (eventstore.Envelope, error) {
	env, err := eventstore.EnvelopeOf(m.Subject(), md.Sequence.Stream, m.Headers(), m.Data())
	if err != nil {
		return env, fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	if env.Type == "" {
		return env, fmt.Errorf("%w: event %d (%s): header %s: missing", ErrPermanent, env.Seq, env.Subject, eventstore.HeaderType)
	}
	return env, nil
}
