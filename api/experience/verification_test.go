package experience_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore"
)

func TestVerifyPassword(t *testing.T) {
	sie := settings.Default()
	sie.SentinelPolicy = settings.SentinelPolicy{MaxAttempts: 3, LockoutDuration: 60}
	srv := apitest.NewServer(t, apitest.Options{Settings: &sie})
	register(t, srv, "alice", goodPassword)
	register(t, srv, "bob", goodPassword)

	t.Run("right password", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "SignIn")
		verificationID(t, verifyPassword(t, c, "alice", goodPassword))
		if got := last(interactionEvents(t, srv, c)); got != "interaction.password.verified" {
			t.Fatalf("last event = %s", got)
		}
	})
	t.Run("wrong password and unknown user answer alike", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "SignIn")
		wrong := verifyPassword(t, c, "alice", "Wrong-passw0rd")
		expect(t, wrong, http.StatusUnprocessableEntity, "session.invalid_credentials")
		unknown := verifyPassword(t, c, "nobody", "Wrong-passw0rd")
		expect(t, unknown, http.StatusUnprocessableEntity, "session.invalid_credentials")
		if string(wrong.Body) != string(unknown.Body) {
			t.Fatalf("bodies differ: %s vs %s", wrong.Body, unknown.Body)
		}
		events := interactionEvents(t, srv, c)
		if !equal(events, []string{"interaction.started", "interaction.password.failed", "interaction.password.failed"}) {
			t.Fatalf("events = %v", events)
		}
	})
	t.Run("lockout blocks even the right password", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "SignIn")
		for range 2 {
			expect(t, verifyPassword(t, c, "bob", "Wrong-passw0rd"), http.StatusUnprocessableEntity, "session.invalid_credentials")
		}
		expect(t, verifyPassword(t, c, "bob", "Wrong-passw0rd"), http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
		expect(t, verifyPassword(t, c, "bob", goodPassword), http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
		expect(t, verifyPassword(t, c, "alice", goodPassword), http.StatusOK, "")
		guard := eventstore.MustSubject(sentinel.AggregateType, sentinel.ID(sentinel.PoolIdentifier, "user:2")) // a known user's identifiers share their pool
		if got := srv.EventTypes(t, guard); !equal(got, []string{"sentinel.attempt.failed", "sentinel.attempt.failed", "sentinel.attempt.failed", "sentinel.locked"}) {
			t.Fatalf("sentinel events = %v", got)
		}
		srv.Clock.Advance(time.Hour)
		start(t, c, "SignIn")
		verificationID(t, verifyPassword(t, c, "bob", goodPassword))
	})
	t.Run("suspended", func(t *testing.T) {
		register(t, srv, "carol", goodPassword)
		suspend(t, srv, "3") // alice 1, bob 2, carol 3
		c := srv.Client(t)
		start(t, c, "SignIn")
		expect(t, verifyPassword(t, c, "carol", goodPassword), http.StatusUnauthorized, "user.suspended")
	})
	t.Run("bad bodies", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "SignIn")
		for _, body := range []any{
			map[string]any{"password": goodPassword},
			map[string]any{"identifier": map[string]string{"type": "userId", "value": "1"}, "password": goodPassword},
			map[string]any{"identifier": map[string]string{"type": "email", "value": "not-an-email"}, "password": goodPassword},
			map[string]any{"identifier": map[string]string{"type": "username", "value": "alice"}, "password": ""},
			map[string]any{"identifier": map[string]string{"type": "username", "value": "alice"}, "password": 12345678},
		} {
			expect(t, c.Do(http.MethodPost, "/api/experience/verification/password", body), http.StatusBadRequest, "guard.invalid_input")
		}
		if got := last(interactionEvents(t, srv, c)); got != "interaction.request.failed" {
			t.Fatalf("a refused request must be recorded, last event = %s", got)
		}
	})
}

func TestPasswordExpiration(t *testing.T) {
	sie := settings.Default()
	sie.PasswordExpiration = settings.PasswordExpiration{Enabled: true, ValidPeriodDays: 30}
	srv := apitest.NewServer(t, apitest.Options{Settings: &sie})
	register(t, srv, "alice", goodPassword)
	c := srv.Client(t)
	start(t, c, "SignIn")
	verificationID(t, verifyPassword(t, c, "alice", goodPassword))
	srv.Clock.Advance(30 * 24 * time.Hour)
	start(t, c, "SignIn")
	expect(t, verifyPassword(t, c, "alice", goodPassword), http.StatusUnprocessableEntity, "password.expired")
}

func TestNewPasswordIdentity(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	register(t, srv, "alice", goodPassword)
	c := srv.Client(t)
	start(t, c, "Register")
	verificationID(t, newIdentity(t, c, "carol", goodPassword))
	expect(t, newIdentity(t, c, "alice", goodPassword), http.StatusUnprocessableEntity, "user.username_already_in_use")
	weak := newIdentity(t, c, "carol", "carol")
	expect(t, weak, http.StatusUnprocessableEntity, "password.rejected")
	if !strings.Contains(string(weak.Body), "password_rejected.too_short") || !strings.Contains(string(weak.Body), `"min":8`) {
		t.Fatalf("issues missing from data: %s", weak.Body)
	}
	expect(t, newIdentity(t, c, "1carol", goodPassword), http.StatusBadRequest, "guard.invalid_input")
	email := c.Do(http.MethodPost, "/api/experience/verification/new-password-identity",
		map[string]any{"identifier": map[string]string{"type": "email", "value": "a@b.co"}, "password": goodPassword})
	expect(t, email, http.StatusBadRequest, "guard.invalid_input")
	for _, ev := range srv.EventTypes(t, eventstore.MustSubject("interaction", c.InteractionID())) {
		if strings.Contains(ev, "password.failed") {
			t.Fatalf("unexpected %s", ev)
		}
	}
}
