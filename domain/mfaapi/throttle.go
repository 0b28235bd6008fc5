package mfaapi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"github.com/authtrail/authtrail/domain"
)

// SendAggregate names the send-throttle aggregates of the MFA API:
// events.mfasend.<sha256(user, channel)>. A user has at most one device
// per channel, so (user, channel) is (user, device) for verifications, and
// it also covers registrations, whose device does not exist yet.
const SendAggregate = "mfasend"

// Delivery throttling (docs/onelogin-api.md, Code sends and throttling):
// per user and device at most MaxSends
// sends per SendWindow, and one per SendSpacing.
const (
	MaxSends    = 5
	SendWindow  = 15 * time.Minute
	SendSpacing = 30 * time.Second
)

// SendThrottleID is the throttle aggregate id of a user's channel.
func SendThrottleID(userID, channel string) string {
	sum := sha256.Sum256([]byte("mfasend:" + userID + ":" + channel))
	return hex.EncodeToString(sum[:])
}

// SendCounted records one code sent to a user's channel.
type SendCounted struct {
	At time.Time `json:"at"`
}

func (SendCounted) EventType() string { return "mfa.send.counted" }

// SendEvents decodes stored throttle events.
var SendEvents = domain.Registry{
	"mfa.send.counted": func() domain.Event { return &SendCounted{} },
}

// Throttled refuses a send; RetryAfter is when the next one is allowed.
type Throttled struct {
	RetryAfter time.Duration
}

func (t Throttled) Error() string {
	return fmt.Sprintf("mfaapi: too many codes sent; retry after %s", t.RetryAfter)
}

// RetryAfterSeconds is RetryAfter rounded up to whole seconds.
func (t Throttled) RetryAfterSeconds() int { return int(math.Ceil(t.RetryAfter.Seconds())) }

// Unwrap is the registry's 429 TooManyRequests, telling when to retry.
func (t Throttled) Unwrap() error {
	return domain.E("onelogin.too_many_requests").WithMessage(
		fmt.Sprintf("Too many codes sent to this device; retry in %d seconds", t.RetryAfterSeconds()))
}

// DecideSend counts a send at now, or refuses it with Throttled when a
// send happened within SendSpacing or MaxSends within SendWindow.
func DecideSend(history []domain.Event, now time.Time) ([]domain.Event, error) {
	var recent []time.Time
	for _, ev := range history {
		if s, ok := ev.(*SendCounted); ok && now.Sub(s.At) < SendWindow {
			recent = append(recent, s.At)
		}
	}
	var wait time.Duration
	if n := len(recent); n > 0 && now.Sub(recent[n-1]) < SendSpacing {
		wait = recent[n-1].Add(SendSpacing).Sub(now)
	}
	if n := len(recent); n >= MaxSends {
		wait = max(wait, recent[n-MaxSends].Add(SendWindow).Sub(now))
	}
	if wait > 0 {
		return nil, Throttled{RetryAfter: wait}
	}
	return []domain.Event{&SendCounted{At: now}}, nil
}
