// Package ratelimit caps verification-code sends per recipient (experience
// docs/experience.md, Verification codes: 10 per 600 s, counted across interactions). Each counted send
// is an event on the recipient's aggregate, so concurrent sends cannot both
// take the last slot.
package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/authtrail/authtrail/domain"
)

// AggregateType names recipient aggregates: events.ratelimit.<sha256>.
const AggregateType = "ratelimit"

// Logto's fixed send cap.
const (
	MaxSends = 10
	Window   = 600 * time.Second
)

// ID hides the normalised recipient behind a hash.
func ID(recipient string) string {
	sum := sha256.Sum256([]byte("recipient:" + recipient))
	return hex.EncodeToString(sum[:])
}

// SendCounted records one send (suppressed ones too) to the recipient.
type SendCounted struct {
	At time.Time `json:"at"`
}

func (SendCounted) EventType() string { return "ratelimit.send.counted" }

// Events decodes stored rate-limit events.
var Events = domain.Registry{
	"ratelimit.send.counted": func() domain.Event { return &SendCounted{} },
}

// Decide counts a send at now, or refuses it with 429
// request.message_rate_limited when the window is full.
func Decide(history []domain.Event, now time.Time) ([]domain.Event, error) {
	recent := 0
	for _, ev := range history {
		if s, ok := ev.(*SendCounted); ok && now.Sub(s.At) < Window {
			recent++
		}
	}
	if recent >= MaxSends {
		return nil, domain.E("request.message_rate_limited")
	}
	return []domain.Event{&SendCounted{At: now}}, nil
}
