package workers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore"
)

// Metadata keys the subscriber adds beside the event's NATS headers, which
// are copied as they are (eventstore.HeaderType, HeaderCorrelationID, ...).
const (
	MetadataSeq          = "seq"           // stream sequence of the event
	MetadataSubject      = "subject"       // the event's subject, events.<aggType>.<id>
	MetadataNumDelivered = "num_delivered" // 1 on the first delivery
)

// toWatermill turns a JetStream message into a watermill message: the UUID
// is the event id, the payload the event's JSON data, and the metadata
// every header plus the stream position.
func toWatermill(m jetstream.Msg, md *jetstream.MsgMetadata) *message.Message {
	h := m.Headers()
	meta := make(message.Metadata, len(h)+3)
	for key, values := range h {
		meta[key] = strings.Join(values, ", ")
	}
	meta[MetadataSeq] = strconv.FormatUint(md.Sequence.Stream, 10)
	meta[MetadataSubject] = m.Subject()
	meta[MetadataNumDelivered] = strconv.FormatUint(md.NumDelivered, 10)

	id := h.Get(eventstore.HeaderMsgID)
	if id == "" {
		id = h.Get(eventstore.HeaderWatermillUUID)
	}
	if id == "" {
		// Not written by the eventstore; the position still names it uniquely.
		id = fmt.Sprintf("%s:%d", md.Stream, md.Sequence.Stream)
	}
	msg := message.NewMessage(id, m.Data())
	msg.Metadata = meta
	return msg
}

// Envelope rebuilds the stored event a handler's message carries: its
// headers, subject and stream sequence are in the metadata.
func Envelope(msg *message.Message) (eventstore.Envelope, error) {
	h := make(nats.Header, len(msg.Metadata))
	for key, value := range msg.Metadata {
		h.Set(key, value)
	}
	seq, err := strconv.ParseUint(msg.Metadata.Get(MetadataSeq), 10, 64)
	if err != nil {
		return eventstore.Envelope{}, fmt.Errorf("workers: message %s without a stream sequence", msg.UUID)
	}
	return eventstore.EnvelopeOf(msg.Metadata.Get(MetadataSubject), seq, h, msg.Payload)
}
