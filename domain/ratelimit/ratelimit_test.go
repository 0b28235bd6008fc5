package ratelimit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/ratelimit"
)

func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var s ratelimit.State
	for i := 0; i < ratelimit.MaxSends; i++ {
		evs, err := ratelimit.Decide(s, t0.Add(time.Duration(i)*time.Second), fmt.Sprint("send-", i))
		if err != nil || len(evs) != 1 {
			t.Fatalf("send %d: %v %v", i+1, evs, err)
		}
		s.Apply(evs[0])
	}
	if _, err := ratelimit.Decide(s, t0.Add(time.Minute), "send-10"); domain.Code(err) != "request.message_rate_limited" {
		t.Fatalf("11th send: %v", err)
	}
	// The first send leaves the window 600 s after it was made.
	if _, err := ratelimit.Decide(s, t0.Add(ratelimit.Window), "send-10"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	// A send decided again after its count committed is not counted twice,
	// even in a full window.
	if evs, err := ratelimit.Decide(s, t0.Add(time.Minute), "send-9"); err != nil || len(evs) != 0 {
		t.Fatalf("the same send again: %v %v", evs, err)
	}
}

// The fold keeps the last MaxSends sends, whatever the history's length.
func TestStateForgetsWhatCannotFillAWindow(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var s ratelimit.State
	for i := range 1000 {
		s.Apply(&ratelimit.SendCounted{At: t0.Add(time.Duration(i) * time.Second), SendID: fmt.Sprint(i)})
	}
	if len(s.Recent) != ratelimit.MaxSends || s.Recent[0].SendID != "990" || s.Recent[9].SendID != "999" {
		t.Fatalf("fold holds %+v", s.Recent)
	}
	if _, err := ratelimit.Decide(s, t0.Add(1000*time.Second), "new"); domain.Code(err) != "request.message_rate_limited" {
		t.Fatalf("ten sends in the last ten seconds: %v", err)
	}
}
