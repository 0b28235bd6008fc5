// Package limiter keeps rate limits (domain/throttle) in NATS key-value
// buckets, so every authtrail process on the same NATS spends from the same
// buckets: N processes grant the configured rate once, not N times.
//
// A limit's state is one instant per key, updated by compare-and-set on the
// key's revision, so two processes taking the last token at once cannot
// both get it. The bucket is in memory (replicated like the event stream):
// a throttle is soft state, and a write per counted request must not cost
// an fsync; a restart of every NATS node refills the buckets. The clients a
// limit has seen succeed (Remember) are on disk, since forgetting them
// would throttle the regulars.
package limiter

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/throttle"
)

// The buckets.
const (
	LimitsBucket     = "limits"
	RememberedBucket = "limits_remembered"
)

// RememberFor is how long a remembered key lasts after its last Remember.
const RememberFor = 30 * 24 * time.Hour

// maxTries bounds the compare-and-set loop of one take; each lost race
// means another take succeeded, so the loop ends quickly, and a brief
// random pause after each loss keeps one taker from losing every round
// to the same faster ones.
const maxTries = 64

// ErrContended is returned when a take lost maxTries races in a row.
var ErrContended = errors.New("limiter: bucket contended")

// Limiter takes from shared buckets.
type Limiter struct {
	limits, remembered jetstream.KeyValue
	clock              domain.Clock
}

// Options size the buckets.
type Options struct {
	Replicas int
	// MaxWindow is the longest window of any limit taken through this
	// limiter: the limits bucket forgets a key that long after its last
	// take (when it is full again anyway).
	MaxWindow time.Duration
	Clock     domain.Clock
}

// Open creates or updates the buckets.
func Open(ctx context.Context, js jetstream.JetStream, o Options) (*Limiter, error) {
	if o.Replicas < 1 {
		o.Replicas = 1
	}
	if o.MaxWindow < time.Hour {
		o.MaxWindow = time.Hour
	}
	if o.Clock == nil {
		o.Clock = domain.SystemClock{}
	}
	limits, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: LimitsBucket, Description: "rate limits (GCRA: the instant each bucket is full again)",
		History: 1, TTL: o.MaxWindow, Storage: jetstream.MemoryStorage, Replicas: o.Replicas,
		MaxBytes: 64 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("limiter: %w", err)
	}
	remembered, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: RememberedBucket, Description: "clients a limit has seen succeed, by hashed key",
		History: 1, TTL: RememberFor, Storage: jetstream.FileStorage, Replicas: o.Replicas,
		MaxBytes: 256 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("limiter: %w", err)
	}
	return &Limiter{limits: limits, remembered: remembered, clock: o.Clock}, nil
}

// Take spends one token of key's bucket under rate r, when one is left.
func (l *Limiter) Take(ctx context.Context, key string, r throttle.Rate) (throttle.Decision, error) {
	if !r.Enabled() {
		_, d := throttle.Take(throttle.State{}, r, l.clock.Now())
		return d, nil
	}
	for attempt := range maxTries {
		s, rev, err := l.load(ctx, key)
		if err != nil {
			return throttle.Decision{}, err
		}
		next, d := throttle.Take(s, r, l.clock.Now())
		if !d.Allowed {
			return d, nil
		}
		value := []byte(strconv.FormatInt(next.Full.UnixNano(), 10))
		if rev == 0 {
			_, err = l.limits.Create(ctx, key, value)
		} else {
			_, err = l.limits.Update(ctx, key, value, rev)
		}
		switch {
		case err == nil:
			return d, nil
		case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
			// Another take came first: decide again on its state.
			time.Sleep(rand.N(time.Duration(attempt+1) * 100 * time.Microsecond))
			continue
		default:
			return throttle.Decision{}, fmt.Errorf("limiter: take %s: %w", key, err)
		}
	}
	return throttle.Decision{}, ErrContended
}

// Peek tells whether a take of key's bucket would be allowed now.
func (l *Limiter) Peek(ctx context.Context, key string, r throttle.Rate) (throttle.Decision, error) {
	if !r.Enabled() {
		return throttle.Peek(throttle.State{}, r, l.clock.Now()), nil
	}
	s, _, err := l.load(ctx, key)
	if err != nil {
		return throttle.Decision{}, err
	}
	return throttle.Peek(s, r, l.clock.Now()), nil
}

func (l *Limiter) load(ctx context.Context, key string) (throttle.State, uint64, error) {
	entry, err := l.limits.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return throttle.State{}, 0, nil
	case err != nil:
		return throttle.State{}, 0, fmt.Errorf("limiter: load %s: %w", key, err)
	}
	nanos, err := strconv.ParseInt(string(entry.Value()), 10, 64)
	if err != nil {
		// Not ours: start over from a full bucket, overwriting it.
		return throttle.State{}, entry.Revision(), nil
	}
	return throttle.State{Full: time.Unix(0, nanos).UTC()}, entry.Revision(), nil
}

// Remember notes key (a client and what it succeeded at) for RememberFor.
func (l *Limiter) Remember(ctx context.Context, key string) error {
	if _, err := l.remembered.Put(ctx, key, []byte{1}); err != nil {
		return fmt.Errorf("limiter: remember: %w", err)
	}
	return nil
}

// Remembers reports whether key was remembered within RememberFor.
func (l *Limiter) Remembers(ctx context.Context, key string) (bool, error) {
	_, err := l.remembered.Get(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false, nil
	}
	return false, fmt.Errorf("limiter: remembers: %w", err)
}
