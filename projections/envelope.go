package projections

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore"
)

// envelopeOf rebuilds the envelope of a delivered event from the headers
// eventstore writes. eventstore's own parser is unexported, so this mirrors
// it. Every stored event has a type; a missing one, or a malformed header,
// means the message was not written by eventstore, which is ErrPermanent.
func envelopeOf(m jetstream.Msg, md *jetstream.MsgMetadata) (eventstore.Envelope, error) {
	h := m.Headers()
	env := eventstore.Envelope{
		ID:            h.Get(eventstore.HeaderMsgID),
		Type:          h.Get(eventstore.HeaderType),
		Schema:        eventstore.DefaultSchema,
		AggType:       h.Get(eventstore.HeaderAggType),
		AggID:         h.Get(eventstore.HeaderAggID),
		Actor:         h.Get(eventstore.HeaderActor),
		CorrelationID: h.Get(eventstore.HeaderCorrelationID),
		CausationID:   h.Get(eventstore.HeaderCausationID),
		Subject:       m.Subject(),
		Seq:           md.Sequence.Stream,
		Data:          json.RawMessage(m.Data()),
	}
	if env.Type == "" {
		return env, malformed(env, eventstore.HeaderType, errors.New("missing"))
	}
	var err error
	if v := h.Get(eventstore.HeaderSchema); v != "" {
		if env.Schema, err = strconv.Atoi(v); err != nil {
			return env, malformed(env, eventstore.HeaderSchema, err)
		}
	}
	if v := h.Get(eventstore.HeaderAggVersion); v != "" {
		if env.AggVersion, err = strconv.ParseUint(v, 10, 64); err != nil {
			return env, malformed(env, eventstore.HeaderAggVersion, err)
		}
	}
	if v := h.Get(eventstore.HeaderTime); v != "" {
		if env.Time, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return env, malformed(env, eventstore.HeaderTime, err)
		}
	}
	return env, nil
}

func malformed(env eventstore.Envelope, header string, err error) error {
	return fmt.Errorf("%w: event %d (%s): header %s: %v", ErrPermanent, env.Seq, env.Subject, header, err)
}
