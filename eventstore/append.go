package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/authtrail/authtrail/domain"
)

// maxBatch is the server's limit on messages in one atomic batch.
const maxBatch = 1000

// Pending is an event to append.
type Pending struct {
	ID    string // event id, for deduplication; a random id when empty
	Event domain.Event
}

// Write appends events to one aggregate.
type Write struct {
	Subject string
	// ExpectedSeq is the stream sequence of the subject's last event as
	// loaded; 0 requires the subject to be empty.
	ExpectedSeq uint64
	// Version is how many events the aggregate already has; the new events
	// are numbered from Version+1.
	Version uint64
	Events  []Pending
}

// plannedWrite is a write with its envelopes built.
type plannedWrite struct {
	Write
	envs []Envelope
}

// Append stores the events of all writes atomically: either every event is
// stored or none is. It returns ErrConflict when an aggregate has changed
// since ExpectedSeq, and ErrAggregateFull when one is at its event limit.
// A retried append of already stored events (same ids) succeeds and returns
// the stored envelopes.
func (s *Store) Append(ctx context.Context, meta Metadata, writes ...Write) ([]Envelope, error) {
	stored, _, err := s.append(ctx, meta, writes)
	return stored, err
}

// append is Append, and says whether the events are fresh: stored by this
// call, right after each write's ExpectedSeq (not found stored by an
// earlier try).
func (s *Store) append(ctx context.Context, meta Metadata, writes []Write) ([]Envelope, bool, error) {
	plan, err := s.plan(meta, writes)
	if err != nil {
		return nil, false, err
	}
	var stored []Envelope
	var fresh bool
	switch n := countEnvelopes(plan); {
	case n == 0:
		return nil, false, nil
	case n == 1:
		stored, fresh, err = s.publishOne(ctx, plan[0])
	default:
		stored, fresh, err = s.publishBatch(ctx, plan, n)
	}
	if err != nil {
		if errors.Is(err, ErrConflict) {
			s.metrics.AppendConflict()
		}
		if errors.Is(err, ErrAggregateFull) {
			// The server does not say which subject of a batch is full.
			seen := map[string]bool{}
			for _, pw := range plan {
				if t := pw.envs[0].AggType; !seen[t] {
					seen[t] = true
					s.metrics.AggregateFull(t)
				}
			}
		}
		return nil, false, err
	}
	// Events stored by an earlier try may not directly follow ExpectedSeq,
	// so only a fresh append is known to extend the cached history; it is
	// also the one that counts its events, so a retry finding them stored
	// does not count them twice.
	if fresh {
		s.extendCache(plan, stored)
		for _, env := range stored {
			s.metrics.EventAppended(env.Type)
		}
	}
	return stored, fresh, nil
}

// plan validates the writes and builds their envelopes.
func (s *Store) plan(meta Metadata, writes []Write) ([]plannedWrite, error) {
	at := meta.Time
	if at.IsZero() {
		at = time.Now()
	}
	// Round(0) drops the monotonic reading, so the envelope equals the one
	// read back from the Ev-Time header.
	at = at.UTC().Round(0)

	subjects := map[string]bool{}
	ids := map[string]bool{}
	var plan []plannedWrite
	for _, w := range writes {
		if len(w.Events) == 0 {
			continue
		}
		aggType, aggID, err := ParseSubject(w.Subject)
		if err != nil {
			return nil, err
		}
		if subjects[w.Subject] {
			return nil, fmt.Errorf("eventstore: subject %s appears in two writes; merge them", w.Subject)
		}
		subjects[w.Subject] = true
		pw := plannedWrite{Write: w}
		for i, p := range w.Events {
			env, err := s.envelope(p, w.Subject, aggType, aggID, w.Version+uint64(i)+1, at, meta)
			if err != nil {
				return nil, err
			}
			if ids[env.ID] {
				return nil, fmt.Errorf("eventstore: event id %s used twice in one append", env.ID)
			}
			ids[env.ID] = true
			pw.envs = append(pw.envs, env)
		}
		plan = append(plan, pw)
	}
	if n := countEnvelopes(plan); n > maxBatch {
		return nil, fmt.Errorf("eventstore: %d events in one append; the limit is %d", n, maxBatch)
	}
	return plan, nil
}

func (s *Store) envelope(p Pending, subject, aggType, aggID string, version uint64, at time.Time, meta Metadata) (Envelope, error) {
	if p.Event == nil {
		return Envelope{}, fmt.Errorf("eventstore: nil event for %s", subject)
	}
	typ := p.Event.EventType()
	if typ == "" {
		return Envelope{}, fmt.Errorf("eventstore: event %T has an empty type", p.Event)
	}
	data, err := json.Marshal(p.Event)
	if err != nil {
		return Envelope{}, fmt.Errorf("eventstore: encode %s: %w", typ, err)
	}
	schema := DefaultSchema
	if v, ok := p.Event.(schemaVersioned); ok {
		schema = v.SchemaVersion()
	}
	id := p.ID
	if id == "" {
		id = s.ids.NewID()
	}
	return Envelope{
		ID: id, Type: typ, Schema: schema,
		AggType: aggType, AggID: aggID, AggVersion: version,
		Time: at, Actor: meta.Actor, CorrelationID: meta.CorrelationID, CausationID: meta.CausationID,
		Subject: subject, Data: data,
	}, nil
}

func countEnvelopes(plan []plannedWrite) int {
	n := 0
	for _, pw := range plan {
		n += len(pw.envs)
	}
	return n
}

func allEnvelopes(plan []plannedWrite) []Envelope {
	var envs []Envelope
	for _, pw := range plan {
		envs = append(envs, pw.envs...)
	}
	return envs
}

// publishOne appends a single event; fresh reports that this call stored it.
func (s *Store) publishOne(ctx context.Context, pw plannedWrite) (stored []Envelope, fresh bool, err error) {
	env := pw.envs[0]
	ack, err := s.js.PublishMsg(ctx, env.toMsg(),
		jetstream.WithExpectStream(s.name),
		jetstream.WithExpectLastSequencePerSubject(pw.ExpectedSeq),
		jetstream.WithMsgID(env.ID))
	if err != nil {
		stored, err = s.settle(ctx, pw.envs, err)
		return stored, false, err
	}
	if ack.Duplicate {
		// Stored by an earlier try: answer with what is stored.
		stored, err = s.readBack(ctx, pw.envs, ack.Sequence)
		return stored, false, err
	}
	env.Seq = ack.Sequence
	return []Envelope{env}, true, nil
}

// publishBatch appends n events in one atomic batch; fresh reports that
// this call stored them.
func (s *Store) publishBatch(ctx context.Context, plan []plannedWrite, n int) (stored []Envelope, fresh bool, err error) {
	msgs := make([]*nats.Msg, 0, n)
	for _, pw := range plan {
		for i, env := range pw.envs {
			msg := env.toMsg()
			msg.Header.Set(jetstream.ExpectedStreamHeader, s.name)
			// The server refuses an expectation on a subject the batch has
			// already written to, so only the subject's first message has it.
			if i == 0 {
				msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(pw.ExpectedSeq, 10))
			}
			msgs = append(msgs, msg)
		}
	}
	envs := allEnvelopes(plan)
	ack, err := jetstreamext.PublishMsgBatch(ctx, s.js, msgs)
	if err != nil {
		stored, err = s.settle(ctx, envs, err)
		return stored, false, err
	}
	// The server commits a batch in isolation, so its messages take
	// consecutive sequences ending at the acknowledged one.
	first := ack.Sequence - uint64(n) + 1
	for i := range envs {
		envs[i].Seq = first + uint64(i)
	}
	return envs, true, nil
}

func (s *Store) extendCache(plan []plannedWrite, stored []Envelope) {
	for i := range stored {
		s.notePosition(stored[i].Seq)
	}
	for _, pw := range plan {
		extendEvents(s.cache, pw.Subject, pw.ExpectedSeq, subjectEnvelopes(stored, pw.Subject))
	}
}
