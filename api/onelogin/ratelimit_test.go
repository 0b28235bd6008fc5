package onelogin_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/onelogin"
)

func authRateHeaders(t *testing.T, res authResponse) (limit, remaining, reset int) {
	t.Helper()
	n := func(k string) int {
		v, err := strconv.Atoi(res.header.Get(k))
		if err != nil {
			t.Fatalf("%s: %q is not a number", k, res.header.Get(k))
		}
		return v
	}
	return n("X-RateLimit-Limit"), n("X-RateLimit-Remaining"), n("X-RateLimit-Reset")
}

func TestRateLimitHeadersCountDownThen429(t *testing.T) {
	// 3 per hour: one call comes back every 1200 s.
	env := newAuthEnv(t, onelogin.AuthOptions{RatePerHour: 3})
	bearer := "Bearer " + *env.token("admin", "admin-secret").AccessToken

	for i, want := range []struct{ remaining, reset int }{{2, 1200}, {1, 2400}, {0, 3600}} {
		res := env.call("/test/manage", bearer)
		if res.status != http.StatusOK {
			t.Fatalf("call %d: status %d %s", i, res.status, res.body)
		}
		limit, remaining, reset := authRateHeaders(t, res)
		if limit != 3 || remaining != want.remaining || reset != want.reset {
			t.Fatalf("call %d: limit %d remaining %d reset %d, want 3 %d %d", i, limit, remaining, reset, want.remaining, want.reset)
		}
	}
	res := env.call("/test/manage", bearer)
	authExpect(t, res, http.StatusTooManyRequests, `{"statusCode":429,"name":"TooManyRequests","message":"Rate limit exceeded"}`)
	if _, remaining, reset := authRateHeaders(t, res); remaining != 0 || reset != 3600 {
		t.Fatalf("429: remaining %d reset %d, want 0 3600", remaining, reset)
	}
	if got := res.header.Get("Retry-After"); got != "1200" {
		t.Fatalf("Retry-After %q, want 1200", got)
	}

	// Another credential has its own bucket.
	if res := env.call("/test/read", "Bearer "+*env.token("reader", "reader-secret").AccessToken); res.status != http.StatusOK {
		t.Fatalf("other credential: status %d", res.status)
	}

	env.clock.Advance(600 * time.Second)
	res = env.call("/test/manage", bearer)
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "600" {
		t.Fatalf("half refilled: status %d Retry-After %q, want 429 and 600", res.status, res.header.Get("Retry-After"))
	}
	env.clock.Advance(600 * time.Second)
	res = env.call("/test/manage", bearer)
	if res.status != http.StatusOK {
		t.Fatalf("after 1200 s: status %d %s", res.status, res.body)
	}
	if _, remaining, reset := authRateHeaders(t, res); remaining != 0 || reset != 3600 {
		t.Fatalf("after 1200 s: remaining %d reset %d, want 0 3600", remaining, reset)
	}

	env.clock.Advance(5 * time.Hour) // refills to capacity, not beyond
	res = env.call("/test/manage", bearer)
	if limit, remaining, reset := authRateHeaders(t, res); limit != 3 || remaining != 2 || reset != 1200 {
		t.Fatalf("after a long pause: limit %d remaining %d reset %d, want 3 2 1200", limit, remaining, reset)
	}
}

func TestRateLimitDefaultIs5000PerHour(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	res := env.call("/test/manage", "Bearer "+*env.token("admin", "admin-secret").AccessToken)
	if limit, remaining, reset := authRateHeaders(t, res); limit != 5000 || remaining != 4999 || reset != 1 {
		t.Fatalf("limit %d remaining %d reset %d, want 5000 4999 1", limit, remaining, reset)
	}
}
