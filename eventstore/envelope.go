package eventstore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Header names of the event envelope. nats.go does not canonicalise header
// names, so they are spelled here once and used everywhere.
const (
	HeaderMsgID         = jetstream.MsgIDHeader // "Nats-Msg-Id": the event id, for dedup
	HeaderWatermillUUID = "_watermill_message_uuid"
	HeaderType          = "Ev-Type"
	HeaderSchema        = "Ev-Schema"
	HeaderAggType       = "Ev-Agg-Type"
	HeaderAggID         = "Ev-Agg-Id"
	HeaderAggVersion    = "Ev-Agg-Version"
	HeaderTime          = "Ev-Time"
	HeaderActor         = "Ev-Actor"
	HeaderCorrelationID = "correlation_id" // watermill's key, so its middleware finds it
	HeaderCausationID   = "Ev-Causation-Id"
)

// DefaultSchema is the schema version of events that do not declare one.
const DefaultSchema = 1

// Envelope is one stored event with its metadata. Envelopes handed out by
// the store are shared with its cache: treat them, and Data, as read-only.
type Envelope struct {
	ID            string
	Type          string
	Schema        int
	AggType       string
	AggID         string
	AggVersion    uint64 // 1..n within the aggregate
	Time          time.Time
	Actor         string
	CorrelationID string
	CausationID   string
	Subject       string
	Seq           uint64 // stream sequence: the global order and the OCC token
	Data          json.RawMessage
}

// Metadata is recorded on every event of an append.
type Metadata struct {
	Time          time.Time // zero means now
	Actor         string
	CorrelationID string
	CausationID   string
}

// schemaVersioned is implemented by events whose payload shape has changed.
type schemaVersioned interface {
	SchemaVersion() int
}

func (e *Envelope) toMsg() *nats.Msg {
	// One backing array for all header values: nats.Header.Set allocates a
	// slice per header, and every append builds one of these.
	values := [...]string{
		e.ID, e.ID, e.Type, strconv.Itoa(e.Schema), e.AggType, e.AggID,
		strconv.FormatUint(e.AggVersion, 10), e.Time.Format(time.RFC3339Nano),
		e.Actor, e.CorrelationID, e.CausationID,
	}
	keys := [...]string{
		HeaderMsgID, HeaderWatermillUUID, HeaderType, HeaderSchema, HeaderAggType, HeaderAggID,
		HeaderAggVersion, HeaderTime,
		HeaderActor, HeaderCorrelationID, HeaderCausationID, // optional: left out when empty
	}
	// Room for the expectation headers an append adds.
	h := make(nats.Header, len(keys)+3)
	for i, key := range keys {
		if values[i] != "" {
			h[key] = values[i : i+1 : i+1]
		}
	}
	return &nats.Msg{Subject: e.Subject, Header: h, Data: e.Data}
}

// envelopeFromMsg rebuilds an envelope from a stored message.
func envelopeFromMsg(m *jetstream.RawStreamMsg) (Envelope, error) {
	return EnvelopeOf(m.Subject, m.Sequence, m.Header, m.Data)
}

// EnvelopeOf rebuilds the envelope of the event stored at seq on subject
// from its headers and payload, however it was read (a direct get, a
// consumer). Missing headers are left zero; malformed ones are an error,
// since they mean the message was not written by this package.
func EnvelopeOf(subject string, seq uint64, h nats.Header, data []byte) (Envelope, error) {
	env := Envelope{
		ID:            h.Get(HeaderMsgID),
		Type:          h.Get(HeaderType),
		Schema:        DefaultSchema,
		AggType:       h.Get(HeaderAggType),
		AggID:         h.Get(HeaderAggID),
		Actor:         h.Get(HeaderActor),
		CorrelationID: h.Get(HeaderCorrelationID),
		CausationID:   h.Get(HeaderCausationID),
		Subject:       subject,
		Seq:           seq,
		Data:          json.RawMessage(data),
	}
	malformed := func(header string, err error) error {
		return fmt.Errorf("eventstore: message %d on %s: malformed %s: %w", seq, subject, header, err)
	}
	var err error
	if v := h.Get(HeaderSchema); v != "" {
		if env.Schema, err = strconv.Atoi(v); err != nil {
			return Envelope{}, malformed(HeaderSchema, err)
		}
	}
	if v := h.Get(HeaderAggVersion); v != "" {
		if env.AggVersion, err = strconv.ParseUint(v, 10, 64); err != nil {
			return Envelope{}, malformed(HeaderAggVersion, err)
		}
	}
	if v := h.Get(HeaderTime); v != "" {
		if env.Time, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return Envelope{}, malformed(HeaderTime, err)
		}
	}
	return env, nil
}
