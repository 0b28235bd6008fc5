package throttle

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func TestTakeAllowsCountPerWindowThenRefillsOneByOne(t *testing.T) {
	r := Rate{Count: 3, Window: time.Minute}
	var s State
	var d Decision
	for i := range 3 {
		s, d = Take(s, r, t0)
		if !d.Allowed || d.Remaining != 2-i {
			t.Fatalf("take %d: %+v, want allowed with %d remaining", i+1, d, 2-i)
		}
	}
	if d.Reset != time.Minute {
		t.Fatalf("reset after a full burst: %v, want 1m", d.Reset)
	}
	before := s
	s, d = Take(s, r, t0)
	if d.Allowed || d.RetryAfter != 20*time.Second || d.RetryAfterSeconds() != 20 || s != before {
		t.Fatalf("4th take: %+v (state %v), want refused for 20s with the state unchanged", d, s)
	}
	// One token back every 20 s.
	if _, d = Take(s, r, t0.Add(19*time.Second)); d.Allowed {
		t.Fatalf("at 19 s: %+v, want refused", d)
	}
	if _, d = Take(s, r, t0.Add(20*time.Second)); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("at 20 s: %+v, want allowed, none left", d)
	}
	// A bucket idle for longer than its window is full.
	if d = Peek(s, r, t0.Add(time.Hour)); !d.Allowed || d.Remaining != 3 || d.Reset != 0 {
		t.Fatalf("after an hour: %+v, want full", d)
	}
}

func TestPeekDoesNotSpend(t *testing.T) {
	r := Rate{Count: 1, Window: time.Minute}
	var s State
	for range 5 {
		if d := Peek(s, r, t0); !d.Allowed || d.Remaining != 1 {
			t.Fatalf("peek: %+v", d)
		}
	}
	s, _ = Take(s, r, t0)
	if d := Peek(s, r, t0.Add(time.Second)); d.Allowed || d.RetryAfterSeconds() != 59 {
		t.Fatalf("peek after the only take: %+v, want refused for 59 s", d)
	}
}

func TestDisabledRateAllowsEverything(t *testing.T) {
	for _, r := range []Rate{{}, {Count: 0, Window: time.Minute}, {Count: 5}} {
		s, d := Take(State{}, r, t0)
		if !d.Allowed || s != (State{}) {
			t.Fatalf("%+v: %+v, want allowed without state", r, d)
		}
	}
}

func TestClientKeyGroupsIPv6By64AndNamesNoAddress(t *testing.T) {
	cases := []struct{ a, b string }{
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"},
		{"192.0.2.7", "::ffff:192.0.2.7"},
	}
	for _, c := range cases {
		if ClientKey("failed", c.a) != ClientKey("failed", c.b) {
			t.Errorf("%s and %s have different keys", c.a, c.b)
		}
	}
	if ClientKey("failed", "2001:db8:1:2::1") == ClientKey("failed", "2001:db8:1:3::1") {
		t.Error("two /64s share a key")
	}
	if ClientKey("failed", "192.0.2.7") == ClientKey("failed", "192.0.2.8") {
		t.Error("two IPv4 addresses share a key")
	}
	if k := ClientKey("failed", "192.0.2.7"); strings.Contains(k, "192") || !strings.HasPrefix(k, "failed.") {
		t.Errorf("key %q", k)
	}
}
