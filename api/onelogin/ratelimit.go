package onelogin

import (
	"math"
	"net/http"
	"strconv"
	"sync"

	"golang.org/x/time/rate"

	"github.com/authtrail/authtrail/domain"
)

// limiter is a token bucket per credential (docs/onelogin-api.md, Rate limits):
// capacity perHour calls, refilled continuously at perHour per hour, on
// golang.org/x/time/rate. Buckets live in this process's memory: with
// several processes behind a load balancer each grants the full rate, and a
// restart refills every bucket. Buckets are keyed by configured client id,
// so their number is bounded.
type limiter struct {
	perHour float64
	rate    rate.Limit // tokens per second
	clock   domain.Clock
	mu      sync.Mutex // a take and the tokens it leaves are read together
	buckets map[string]*rate.Limiter
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
		perHour: float64(perHour), rate: rate.Limit(float64(perHour) / 3600),
		clock: clock, buckets: map[string]*rate.Limiter{},
	}
}

// take spends one call of key's bucket when one is left.
func (l *limiter) take(key string) limit {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		b = rate.NewLimiter(l.rate, int(l.perHour))
		l.buckets[key] = b
	}
	out := limit{limit: int(l.perHour), allowed: b.AllowN(now, 1)}
	tokens := b.TokensAt(now)
	if !out.allowed {
		out.retryAfter = ceilSeconds((1 - tokens) / float64(l.rate))
	}
	out.remaining = int(math.Floor(tokens))
	out.reset = ceilSeconds((l.perHour - tokens) / float64(l.rate))
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
