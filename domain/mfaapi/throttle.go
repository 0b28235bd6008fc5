package mfaapi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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

// SendCounted records one code sent to a user's channel. It is a claim
// (domain.Claim) on the throttle, committed ahead of the code request and
// carrying the send's id (docs/architecture.md, Claims).
type SendCounted struct {
	At     time.Time `json:"at"`
	SendID string    `json:"sendId,omitempty"`
}

func (e SendCounted) ClaimedBy() string { return e.SendID }

func (SendCounted) EventType() string { return "mfa.send.counted" }

// SendEvents decodes stored throttle events.
var SendEvents = domain.Registry{
	"mfa.send.counted": func() domain.Event { return &SendCounted{} },
}

// DecideSend counts the send sendID at now, or refuses it as
// domain.Throttled when a send happened within SendSpacing or MaxSends
// within SendWindow. A send already counted (its claim committed before
// the rest of its request conflicted) is not counted again.
func DecideSend(history []domain.Event, now time.Time, sendID string) ([]domain.Event, error) {
	var recent []time.Time
	for _, ev := range history {
		s, ok := ev.(*SendCounted)
		if ok && sendID != "" && s.SendID == sendID {
			return nil, nil
		}
		if ok && now.Sub(s.At) < SendWindow {
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
		return nil, domain.Throttled{RetryAfter: wait, Err: domain.E("onelogin.too_many_requests").WithMessage(
			fmt.Sprintf("Too many codes sent to this device; retry in %d seconds", domain.CeilSeconds(wait)))}
	}
	return []domain.Event{&SendCounted{At: now, SendID: sendID}}, nil
}
