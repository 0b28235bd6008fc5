package ratelimit_test

import (
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/ratelimit"
)

func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var history []domain.Event
	for i := 0; i < ratelimit.MaxSends; i++ {
		evs, err := ratelimit.Decide(history, t0.Add(time.Duration(i)*time.Second))
		if err != nil || len(evs) != 1 {
			t.Fatalf("send %d: %v %v", i+1, evs, err)
		}
		history = append(history, evs...)
	}
	if _, err := ratelimit.Decide(history, t0.Add(time.Minute)); domain.Code(err) != "request.message_rate_limited" {
		t.Fatalf("11th send: %v", err)
	}
	// The first send leaves the window 600 s after it was made.
	if _, err := ratelimit.Decide(history, t0.Add(ratelimit.Window)); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
