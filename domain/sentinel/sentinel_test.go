package sentinel_test

import (
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/sentinel"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func failures(n int, at time.Time) []domain.Event {
	var evs []domain.Event
	for i := 0; i < n; i++ {
		evs = append(evs, &sentinel.AttemptFailed{Action: "Password", At: at})
	}
	return evs
}

func TestDecide(t *testing.T) {
	policy := sentinel.Policy{MaxAttempts: 5, LockoutDuration: time.Hour}
	locked := append(failures(1, t0), &sentinel.Locked{Until: t0.Add(time.Hour)})
	tests := []struct {
		name        string
		given       []domain.Event
		failed      bool
		now         time.Time
		wantBlocked bool
		wantTypes   []string
	}{
		{"first failure is recorded", nil, true, t0, false, []string{"sentinel.attempt.failed"}},
		{"success records nothing", failures(3, t0), false, t0, false, nil},
		{"fourth failure passes", failures(3, t0), true, t0, false, []string{"sentinel.attempt.failed"}},
		{"fifth failure locks", failures(4, t0), true, t0, true, []string{"sentinel.attempt.failed", "sentinel.locked"}},
		{"locked blocks a success", locked, false, t0.Add(time.Minute), true, nil},
		{"locked blocks a failure without recording", locked, true, t0.Add(time.Minute), true, nil},
		{"lock ends after the duration", locked, false, t0.Add(time.Hour), false, nil},
		{"failures older than an hour do not count", failures(4, t0), true, t0.Add(time.Hour), false, []string{"sentinel.attempt.failed"}},
		{"blocked failures do not count", append(failures(3, t0), &sentinel.AttemptFailed{At: t0, Blocked: true}), true, t0, false, []string{"sentinel.attempt.failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocked, evs := sentinel.Decide(sentinel.Fold(tt.given), policy, "Password", tt.failed, tt.now)
			if blocked != tt.wantBlocked {
				t.Fatalf("blocked = %v, want %v", blocked, tt.wantBlocked)
			}
			if len(evs) != len(tt.wantTypes) {
				t.Fatalf("events = %d, want %v", len(evs), tt.wantTypes)
			}
			for i, ev := range evs {
				if ev.EventType() != tt.wantTypes[i] {
					t.Errorf("event %d = %s, want %s", i, ev.EventType(), tt.wantTypes[i])
				}
			}
		})
	}
}

func TestIDHidesTarget(t *testing.T) {
	id := sentinel.ID(sentinel.PoolIdentifier, "alice@example.com")
	if len(id) != len("identifier-")+64 || id == sentinel.ID(sentinel.PoolTotp, "alice@example.com") {
		t.Fatalf("unexpected id %q", id)
	}
}
