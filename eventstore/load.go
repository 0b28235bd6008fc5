package eventstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/authtrail/authtrail/domain"
)

// Load returns the events of one aggregate in order, and the stream
// sequence of the last one (0 when there are none, which is also the
// expected sequence for its first append).
func (s *Store) Load(ctx context.Context, subject string) ([]Envelope, uint64, error) {
	envs, last, _, err := s.load(ctx, subject, false)
	return envs, last, err
}

// load is Load; with trustCache a cached history is returned without
// asking the server whether it is current, and trusted says so (the
// caller then checks it before its commit, see Tx).
func (s *Store) load(ctx context.Context, subject string, trustCache bool) (envs []Envelope, lastSeq uint64, trusted bool, err error) {
	if _, _, err := ParseSubject(subject); err != nil {
		return nil, 0, false, err
	}
	cached, cachedSeq, ok := s.cache.get(subject)
	// The cache holds every event of the aggregate: their count is its own.
	if ok && len(cached) > 0 && (trustCache || s.unchanged(ctx, subject, cachedSeq, uint64(len(cached)))) {
		return slices.Clip(cached), cachedSeq, trustCache, nil
	}
	last, err := s.lastMsg(ctx, subject)
	if errors.Is(err, ErrNotFound) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	switch {
	case ok && cachedSeq == last.Sequence:
		return slices.Clip(cached), cachedSeq, false, nil
	case ok && cachedSeq > last.Sequence:
		// Only a recreated stream can be behind the cache: forget it.
		s.cache.drop(subject)
		cached, cachedSeq = nil, 0
	}
	tail, err := s.readRange(ctx, subject, cachedSeq+1, last)
	if err != nil {
		return nil, 0, false, err
	}
	envs = slices.Concat(cached, tail)
	s.cache.put(subject, slices.Clip(envs), last.Sequence)
	return slices.Clip(envs), last.Sequence, false, nil
}

// readBatch is how many messages one direct batch get asks for.
const readBatch = 256

// singleReads is how many messages a read asks for one at a time before
// it switches to batches. A batch get counts the subject's pending
// messages from its start (twice when the stream moved meanwhile), which
// loads, and on a compressed stream decompresses, every block the
// subject spans: far more than a short tail's few lookups cost. Most
// loads are short tails (a cached aggregate's newest events, a snapshot's
// tail, a young interaction); a long history goes on in batches.
const singleReads = 16

// readRange reads the events of subject from sequence from up to and
// including last, which the caller has already fetched: one by one, then
// on a stream with direct gets (one replica) in batches.
func (s *Store) readRange(ctx context.Context, subject string, from uint64, last *jetstream.RawStreamMsg) ([]Envelope, error) {
	var envs []Envelope
	for seq, n := from, 0; seq < last.Sequence; n++ {
		if n == singleReads && s.stream.CachedInfo().Config.AllowDirect {
			rest, err := s.readBatches(ctx, subject, seq, last.Sequence)
			if err != nil {
				return nil, err
			}
			envs = append(envs, rest...)
			break
		}
		// With a subject, GetMsg answers the first message on it at or
		// after seq, so gaps left by other aggregates cost nothing.
		var msg *jetstream.RawStreamMsg
		err := retryRead(ctx, func(ctx context.Context) (err error) {
			msg, err = s.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("eventstore: read %s at %d: %w", subject, seq, err)
		}
		if msg.Sequence >= last.Sequence {
			break
		}
		env, err := envelopeFromMsg(msg)
		if err != nil {
			return nil, err
		}
		envs = append(envs, env)
		seq = msg.Sequence + 1
	}
	env, err := envelopeFromMsg(last)
	if err != nil {
		return nil, err
	}
	return append(envs, env), nil
}

// readBatches reads the events of subject from sequence from to before
// last with direct batch gets.
func (s *Store) readBatches(ctx context.Context, subject string, from, last uint64) ([]Envelope, error) {
	var envs []Envelope
	for seq := from; seq < last; {
		var batch []Envelope
		err := retryRead(ctx, func(ctx context.Context) error {
			batch = batch[:0]
			msgs, err := jetstreamext.GetBatch(ctx, s.js, s.name, readBatch, jetstreamext.GetBatchSeq(seq), jetstreamext.GetBatchSubject(subject))
			if err != nil {
				return err
			}
			for msg, err := range msgs {
				if errors.Is(err, jetstreamext.ErrNoMessages) {
					break
				}
				if err != nil {
					return err
				}
				if msg.Sequence >= last {
					break
				}
				env, err := envelopeFromMsg(msg)
				if err != nil {
					return err
				}
				batch = append(batch, env)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("eventstore: read %s from %d: %w", subject, seq, err)
		}
		if len(batch) == 0 {
			break
		}
		envs = append(envs, batch...)
		seq = batch[len(batch)-1].Seq + 1
	}
	return envs, nil
}

// Last returns the most recent event of subject, or ErrNotFound. It suits
// subjects read only for their latest state, such as a unique value's claim.
func (s *Store) Last(ctx context.Context, subject string) (*Envelope, error) {
	env, _, err := s.last(ctx, subject, false)
	return env, err
}

// last is Last; with trustCache a cached answer is returned without
// asking the server, and trusted says so (as load).
func (s *Store) last(ctx context.Context, subject string, trustCache bool) (_ *Envelope, trusted bool, _ error) {
	if _, _, err := ParseSubject(subject); err != nil {
		return nil, false, err
	}
	// An event's AggVersion is its place in the aggregate: the count of
	// events up to it.
	if env, seq, ok := s.lasts.get(subject); ok && (trustCache || s.unchanged(ctx, subject, seq, env.AggVersion)) {
		return &env, trustCache, nil
	}
	msg, err := s.lastMsg(ctx, subject)
	if err != nil {
		return nil, false, err
	}
	env, err := envelopeFromMsg(msg)
	if err != nil {
		return nil, false, err
	}
	s.lasts.put(subject, env, env.Seq)
	return &env, false, nil
}

func (s *Store) lastMsg(ctx context.Context, subject string) (*jetstream.RawStreamMsg, error) {
	var msg *jetstream.RawStreamMsg
	err := retryRead(ctx, func(ctx context.Context) (err error) {
		msg, err = s.stream.GetLastMsgForSubject(ctx, subject)
		return err
	})
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, subject)
	}
	if err != nil {
		return nil, fmt.Errorf("eventstore: last message of %s: %w", subject, err)
	}
	s.notePosition(msg.Sequence)
	return msg, nil
}

// A read of a replicated stream is answered by its leader; while the
// cluster elects a new one (4 to 9 s after a node is lost) a request goes
// unanswered. Reads change nothing, so they are tried again, each for at
// most readTry, for up to readPatience: a request in flight during an
// election then completes after it instead of failing. (Appends are not
// retried: one whose answer was lost may have committed.)
const (
	readTry      = time.Second
	readPatience = 15 * time.Second
)

func retryRead(ctx context.Context, read func(context.Context) error) error {
	deadline := time.Now().Add(readPatience)
	for {
		tryCtx, cancel := context.WithTimeout(ctx, readTry)
		err := read(tryCtx)
		cancel()
		unanswered := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrNoResponders) ||
			errors.Is(err, jetstream.ErrNoStreamResponse)
		if !unanswered || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
	}
}

// Decode turns envelopes into the domain events they carry.
func Decode(envs []Envelope, reg domain.Registry) ([]domain.Event, error) {
	events := make([]domain.Event, 0, len(envs))
	for _, env := range envs {
		ev, err := reg.Decode(env.Type, env.Data)
		if err != nil {
			return nil, fmt.Errorf("eventstore: event %s (seq %d): %w", env.ID, env.Seq, err)
		}
		events = append(events, ev)
	}
	return events, nil
}
