package session_test

import (
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/session"
)

func TestSession(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	started := &session.Started{UserID: "1", AuthTime: t0, AMR: []string{"pwd"}, ExpiresAt: t0.Add(time.Hour)}
	s := session.Fold("s", []domain.Event{started})
	age := func(n uint) *uint { return &n }
	cases := []struct {
		name string
		ok   bool
	}{
		{"live", s.Live(t0.Add(time.Minute))},
		{"fresh without max_age", s.Fresh(nil, t0.Add(30*time.Minute))},
		{"fresh within max_age", s.Fresh(age(600), t0.Add(5*time.Minute))},
		{"stale past max_age", !s.Fresh(age(60), t0.Add(5*time.Minute))},
		{"expired", !s.Live(t0.Add(time.Hour))},
		{"never started", !session.Fold("s", nil).Live(t0)},
	}
	for _, c := range cases {
		if !c.ok {
			t.Errorf("%s: wrong", c.name)
		}
	}
	ended := session.End(s, "app")
	if len(ended) != 1 || session.Fold("s", append([]domain.Event{started}, ended...)).Live(t0) {
		t.Fatal("logout did not end the session")
	}
	if session.End(session.Fold("s", append([]domain.Event{started}, ended...)), "app") != nil {
		t.Fatal("ending an ended session recorded something")
	}
}
