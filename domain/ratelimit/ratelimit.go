// Package ratelimit caps verification-code sends per recipient (experience
// docs/experience.md, Verification codes: 10 per 600 s, counted across interactions). Each counted send
// is an event on the recipient's aggregate, so concurrent sends cannot both
// take the last slot.
package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
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
// SendID names the send, so the request that counted it knows its own
// count when decided again (a domain.Claim: it commits ahead of the code
// request).
type SendCounted struct {
	At     time.Time `json:"at"`
	SendID string    `json:"sendId,omitempty"`
}

func (SendCounted) EventType() string   { return "ratelimit.send.counted" }
func (e SendCounted) ClaimedBy() string { return e.SendID }

// Events decodes stored rate-limit events.
var Events = domain.Registry{
	"ratelimit.send.counted": func() domain.Event { return &SendCounted{} },
}

// State is what the cap needs of a recipient's history: its last MaxSends
// sends, oldest first. An older send cannot be in a window that the newer
// ones do not fill first, so the fold forgets it, and a recipient's fold
// stays this size however long its history.
type State struct {
	Recent []Counted `json:"recent"`
}

// Counted is one counted send.
type Counted struct {
	At     time.Time `json:"at"`
	SendID string    `json:"sendId,omitempty"`
}

// Apply folds a counted send, copy-on-write.
func (s *State) Apply(ev domain.Event) {
	c, ok := ev.(*SendCounted)
	if !ok {
		return
	}
	keep := s.Recent[max(0, len(s.Recent)-(MaxSends-1)):]
	s.Recent = append(slices.Clone(keep), Counted{At: c.At, SendID: c.SendID})
}

// Decide counts the send sendID at now, or refuses it with 429
// request.message_rate_limited when the window is full. A send already
// counted (its request decided again after the count committed) is not
// counted twice.
func Decide(s State, now time.Time, sendID string) ([]domain.Event, error) {
	recent := 0
	for _, c := range s.Recent {
		if sendID != "" && c.SendID == sendID {
			return nil, nil
		}
		if now.Sub(c.At) < Window {
			recent++
		}
	}
	if recent >= MaxSends {
		return nil, domain.E("request.message_rate_limited")
	}
	return []domain.Event{&SendCounted{At: now, SendID: sendID}}, nil
}
