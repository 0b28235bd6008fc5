package sentinel_test

import (
	"encoding/json"
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

// A target's state keeps only the failures Decide can still count, and
// never changes a state another load shares.
func TestApplyKeepsTheWindowAndCopiesOnWrite(t *testing.T) {
	policy := sentinel.Policy{MaxAttempts: 5, LockoutDuration: time.Hour}
	// Years of failures, one a day: only the newest is within the hour.
	var years []domain.Event
	for d := range 1000 {
		years = append(years, &sentinel.AttemptFailed{Action: "Password", At: t0.Add(time.Duration(d) * 24 * time.Hour)})
	}
	s := sentinel.Fold(years)
	newest := t0.Add(999 * 24 * time.Hour)
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"failures":["` + newest.Format(time.RFC3339Nano) + `"],"lockedUntil":"0001-01-01T00:00:00Z"}`; string(data) != want {
		t.Fatalf("state %s, want %s", data, want)
	}

	// Three more failures within the hour: the fifth within it locks.
	shared := s
	for i := range 3 {
		s.Apply(&sentinel.AttemptFailed{At: newest.Add(time.Duration(i+1) * time.Minute)})
	}
	if blocked, _ := sentinel.Decide(s, policy, "Password", true, newest.Add(10*time.Minute)); !blocked {
		t.Fatal("the fifth failure within the hour did not lock")
	}
	if blocked, _ := sentinel.Decide(shared, policy, "Password", true, newest.Add(10*time.Minute)); blocked {
		t.Fatal("folding into a copy changed the shared state")
	}

	var back sentinel.State
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if again, _ := json.Marshal(back); string(again) != string(data) {
		t.Fatalf("round trip %s, want %s", again, data)
	}
}
