package onelogin_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/throttle"
)

// Failed token requests of one address are limited (limits.tokenRequestsPerIp):
// past the limit every token request of the address answers 429 with
// Retry-After, even one with the right secret, until the bucket refills;
// successful requests spend nothing.
func TestFailedTokenRequestsPerClientAddress(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{FailedTokensPerIP: throttle.Rate{Count: 2, Window: time.Minute}})
	for range 5 {
		env.token("admin", "admin-secret") // successes are never throttled
	}
	for range 2 {
		res := env.post(onelogin.TokenPath, authBasic("admin", "wrong"), authGrantJSON)
		if res.status != http.StatusUnauthorized {
			t.Fatalf("wrong secret: %d %s", res.status, res.body)
		}
	}
	res := env.post(onelogin.TokenPath, authBasic("admin", "admin-secret"), authGrantJSON)
	authExpect(t, res, http.StatusTooManyRequests,
		`{"status":{"error":true,"code":429,"type":"too many requests","message":"Too many failed token requests from this address; retry later"}}`)
	if got := res.header.Get("Retry-After"); got != "30" {
		t.Fatalf("Retry-After %q, want 30", got)
	}
	if res := env.revoke("admin", "admin-secret", "x"); res.status != http.StatusTooManyRequests {
		t.Fatalf("revoke from the refused address: %d", res.status)
	}
	env.clock.Advance(30 * time.Second)
	env.token("admin", "admin-secret")
}
