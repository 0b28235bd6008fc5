package onelogin

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/authtrail/authtrail/domain/throttle"
)

// The limits of this API (docs/onelogin-api.md, Rate limits) are buckets of
// the shared limiter (eventstore/limiter), so several processes grant each
// rate once: per credential, perHour calls refilled continuously at perHour
// per hour; per client address, failed token requests.

// limit is the outcome of one take, rendered as the X-RateLimit headers.
type limit struct {
	allowed    bool
	limit      int
	remaining  int
	reset      int // seconds until the bucket is full again
	retryAfter int // seconds until one call is allowed, when refused
}

// takeCall spends one call of the credential's bucket. When the shared
// buckets cannot be read the call is let through and logged: an outage of
// the limiter must not stop every API client.
func (a *Auth) takeCall(ctx context.Context, credentialID string) limit {
	rate := throttle.Rate{Count: a.perHour, Window: time.Hour}
	d, err := a.limiter.Take(ctx, throttle.Key("apiclient", credentialID), rate)
	if err != nil {
		a.log.WarnContext(ctx, "onelogin: rate limit not applied", "err", err)
		return limit{allowed: true, limit: a.perHour, remaining: a.perHour}
	}
	out := limit{allowed: d.Allowed, limit: a.perHour, remaining: d.Remaining, reset: d.ResetSeconds()}
	if !d.Allowed {
		out.retryAfter = d.RetryAfterSeconds()
	}
	return out
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
