package onelogin

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/authtrail/authtrail/domain"
)

// limiter is a token bucket per credential (spec §6, decision 8): capacity
// perHour calls, refilled continuously at perHour per hour. Buckets live in
// this process's memory: with several processes behind a load balancer each
// grants the full rate, and a restart refills every bucket. Buckets are
// keyed by configured client id, so their number is bounded.
type limiter struct {
	perHour float64
	rate    float64 // tokens per second
	clock   domain.Clock
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// limit is the outcome of one take, rendered as the X-RateLimit headers.
type limit struct {
	allowed    bool
	limit      int
	remaining  int
	reset      int // seconds until the bucket is full again
	retryAfter int // seconds until one call is allowed, when refused
}

func newLimiter(perHour int, clock domain.Clock) *limiter {
	return &limiter{
		perHour: float64(perHour), rate: float64(perHour) / 3600,
		clock: clock, buckets: map[string]*bucket{},
	}
}

// take spends one call of key's bucket when one is left.
func (l *limiter) take(key string) limit {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.perHour, at: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens = math.Min(l.perHour, b.tokens+elapsed*l.rate)
	}
	b.at = now
	out := limit{limit: int(l.perHour)}
	if b.tokens >= 1 {
		b.tokens--
		out.allowed = true
	} else {
		out.retryAfter = ceilSeconds((1 - b.tokens) / l.rate)
	}
	out.remaining = int(math.Floor(b.tokens))
	out.reset = ceilSeconds((l.perHour - b.tokens) / l.rate)
	return out
}

// ceilSeconds rounds up, tolerating float noise just above an integer.
func ceilSeconds(s float64) int {
	return int(math.Ceil(s - 1e-9))
}

// setHeaders writes the X-RateLimit headers, and Retry-After on a refusal.
func (l limit) setHeaders(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(l.remaining))
	h.Set("X-RateLimit-Reset", strconv.Itoa(l.reset))
	if !l.allowed {
		h.Set("Retry-After", strconv.Itoa(l.retryAfter))
	}
}
