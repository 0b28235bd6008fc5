// Package throttle decides rate limits as a generic cell rate algorithm
// (GCRA): a limit of Count per Window is a token bucket of Count tokens
// refilled at Count per Window, and its whole state is one instant, the
// theoretical arrival time (TAT) at which the bucket is full again. One
// instant per key is what lets the limits live in a shared key-value store
// with compare-and-set (eventstore/limiter) instead of in one process.
package throttle

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/netip"
	"time"

	"github.com/authtrail/authtrail/domain"
)

// Rate is Count events per Window; Count 0 disables the limit.
type Rate struct {
	Count  int
	Window time.Duration
}

// Enabled reports whether the rate limits anything.
func (r Rate) Enabled() bool { return r.Count > 0 && r.Window > 0 }

// interval is the refill time of one token.
func (r Rate) interval() time.Duration { return r.Window / time.Duration(r.Count) }

// State is a bucket: full again at Full (zero: full now).
type State struct {
	Full time.Time
}

// Decision is the outcome of a take (or of a look at the next one).
type Decision struct {
	Allowed bool
	// Remaining is how many more would be allowed right now.
	Remaining int
	// RetryAfter is when the next one is allowed, when refused.
	RetryAfter time.Duration
	// Reset is when the bucket is full again.
	Reset time.Duration
}

// RetryAfterSeconds is RetryAfter rounded up to whole seconds (at least 1),
// as Retry-After states it.
func (d Decision) RetryAfterSeconds() int { return domain.CeilSeconds(d.RetryAfter) }

// ResetSeconds is Reset rounded up to whole seconds.
func (d Decision) ResetSeconds() int { return domain.CeilSeconds(d.Reset) }

// Refusal is the refusal of a take: err, telling when to retry.
func (d Decision) Refusal(err *domain.Error) domain.Throttled {
	return domain.Throttled{Err: err, RetryAfter: d.RetryAfter}
}

// Take spends one token at now when one is left: the new state (unchanged
// when refused) and the decision. A disabled rate allows everything.
func Take(s State, r Rate, now time.Time) (State, Decision) {
	if !r.Enabled() {
		return s, Decision{Allowed: true, Remaining: math.MaxInt32}
	}
	d := Peek(s, r, now)
	if !d.Allowed {
		return s, d
	}
	next := State{Full: start(s, now).Add(r.interval())}
	return next, decide(next, r, now, true)
}

// Peek tells whether a take at now would be allowed, without spending.
func Peek(s State, r Rate, now time.Time) Decision {
	if !r.Enabled() {
		return Decision{Allowed: true, Remaining: math.MaxInt32}
	}
	return decide(s, r, now, start(s, now).Add(r.interval()).Sub(now) <= r.Window)
}

// decide describes state s at now.
func decide(s State, r Rate, now time.Time, allowed bool) Decision {
	used := start(s, now).Sub(now) // how far the bucket is from full
	d := Decision{Allowed: allowed, Reset: used}
	d.Remaining = int((r.Window - used) / r.interval())
	if !allowed {
		d.Remaining = 0
		d.RetryAfter = used + r.interval() - r.Window
	}
	return d
}

// start is the later of the bucket's TAT and now: a bucket full in the past
// is full now.
func start(s State, now time.Time) time.Time {
	if s.Full.After(now) {
		return s.Full
	}
	return now
}

// ClientKey is the key a client address is limited by for purpose: the address, or for
// IPv6 its /64, which one subscriber usually holds whole (so a client cannot
// step around its limit through its own prefix). Hashed, so keys name no
// address. An address that does not parse is its own key.
func ClientKey(purpose, addr string) string {
	a, err := netip.ParseAddr(addr)
	if err == nil {
		a = a.Unmap()
		if a.Is6() {
			p, _ := a.Prefix(64)
			addr = p.String()
		} else {
			addr = a.String()
		}
	}
	return Key(purpose, addr)
}

// Key hashes a purpose and a value into a key-value store key.
func Key(purpose, value string) string {
	sum := sha256.Sum256([]byte(purpose + "\x00" + value))
	return purpose + "." + hex.EncodeToString(sum[:16])
}
