package experience_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/settings"
)

func TestStart(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	c := srv.Client(t)
	r := c.Do(http.MethodPut, "/api/experience", map[string]any{"interactionEvent": "SignIn", "unknownKey": 1})
	expect(t, r, http.StatusNoContent, "")
	cookie := r.Header.Get("Set-Cookie")
	for _, attr := range []string{"_interaction=", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("cookie %q lacks %s", cookie, attr)
		}
	}
	id := c.InteractionID()
	if got := interactionEvents(t, srv, c); !equal(got, []string{"interaction.started"}) {
		t.Fatalf("events = %v", got)
	}

	t.Run("restart keeps the id and drops records", func(t *testing.T) {
		register(t, srv, "alice", goodPassword)
		vid := verificationID(t, verifyPassword(t, c, "alice", goodPassword))
		start(t, c, "SignIn")
		if c.InteractionID() != id {
			t.Fatal("restart changed the interaction id")
		}
		expect(t, identify(t, c, vid), http.StatusNotFound, "session.verification_session_not_found")
	})
	t.Run("bad bodies", func(t *testing.T) {
		expect(t, c.Do(http.MethodPut, "/api/experience", map[string]any{"interactionEvent": "Login"}), http.StatusBadRequest, "guard.invalid_input")
		expect(t, c.Do(http.MethodPut, "/api/experience", `{"interactionEvent":`), http.StatusBadRequest, "guard.invalid_input")
		expect(t, c.Do(http.MethodPut, "/api/experience", map[string]any{"interactionEvent": 3}), http.StatusBadRequest, "guard.invalid_input")
		big := `{"interactionEvent":"SignIn","pad":"` + strings.Repeat("x", 70<<10) + `"}`
		expect(t, c.Do(http.MethodPut, "/api/experience", big), http.StatusRequestEntityTooLarge, "request.entity_too_large")
	})
	t.Run("captcha token without a provider", func(t *testing.T) {
		r := c.Do(http.MethodPut, "/api/experience", map[string]any{"interactionEvent": "SignIn", "captchaToken": "x"})
		expect(t, r, http.StatusUnprocessableEntity, "session.captcha_failed")
	})
}

func TestNoInteraction(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	c := srv.Client(t)
	routes := []struct{ method, path string }{
		{http.MethodPut, "/api/experience/interaction-event"},
		{http.MethodGet, "/api/experience/interaction"},
		{http.MethodPost, "/api/experience/identification"},
		{http.MethodPost, "/api/experience/submit"},
		{http.MethodPost, "/api/experience/profile"},
		{http.MethodPut, "/api/experience/profile/password"},
		{http.MethodPost, "/api/experience/verification/password"},
		{http.MethodPost, "/api/experience/verification/new-password-identity"},
	}
	for _, rt := range routes {
		r := c.Do(rt.method, rt.path, map[string]any{})
		expect(t, r, http.StatusBadRequest, "session.not_found")
		if r.JSON()["error"] != "invalid_request" {
			t.Errorf("%s %s: OIDC error body missing: %s", rt.method, rt.path, r.Body)
		}
	}
	t.Run("forged cookie", func(t *testing.T) {
		start(t, c, "SignIn")
		forged := srv.Client(t)
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		forged.HTTP.Jar.SetCookies(req.URL, []*http.Cookie{{Name: "_interaction", Value: c.InteractionID() + ".bad", Path: "/"}})
		expect(t, forged.Do(http.MethodGet, "/api/experience/interaction", nil), http.StatusBadRequest, "session.not_found")
	})
	t.Run("expired", func(t *testing.T) {
		start(t, c, "SignIn")
		srv.Clock.Advance(time.Hour)
		expect(t, c.Do(http.MethodGet, "/api/experience/interaction", nil), http.StatusBadRequest, "session.not_found")
		start(t, c, "SignIn")
		expect(t, c.Do(http.MethodGet, "/api/experience/interaction", nil), http.StatusOK, "")
	})
}

func TestSwitchEvent(t *testing.T) {
	signInOnly := settings.Default()
	signInOnly.SignInMode = settings.ModeSignIn
	srv := apitest.NewServer(t, apitest.Options{})
	strict := apitest.NewServer(t, apitest.Options{Settings: &signInOnly})
	tests := []struct {
		name      string
		srv       *apitest.Server
		from, to  string
		status    int
		code      string
		lastEvent string
	}{
		{"sign-in to register", srv, "SignIn", "Register", http.StatusNoContent, "", "interaction.event.switched"},
		{"same event", srv, "SignIn", "SignIn", http.StatusNoContent, "", "interaction.started"},
		{"register disabled", strict, "SignIn", "Register", http.StatusForbidden, "auth.forbidden", "interaction.request.failed"},
		{"into forgot password", srv, "SignIn", "ForgotPassword", http.StatusBadRequest, "session.not_supported_for_forgot_password", "interaction.request.failed"},
		{"out of forgot password", srv, "ForgotPassword", "Register", http.StatusBadRequest, "session.not_supported_for_forgot_password", "interaction.request.failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.srv.Client(t)
			start(t, c, tt.from)
			expect(t, c.Do(http.MethodPut, "/api/experience/interaction-event", map[string]any{"interactionEvent": tt.to}), tt.status, tt.code)
			if got := last(interactionEvents(t, tt.srv, c)); got != tt.lastEvent {
				t.Fatalf("last event = %s, want %s", got, tt.lastEvent)
			}
		})
	}
}

func TestGetInteractionIsSanitized(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	c := srv.Client(t)
	start(t, c, "Register")
	vid := verificationID(t, newIdentity(t, c, "carol", goodPassword))
	expect(t, c.Do(http.MethodPost, "/api/experience/profile", map[string]any{"type": "password", "value": "An0ther-Passw0rd"}), http.StatusNoContent, "")
	r := c.Do(http.MethodGet, "/api/experience/interaction", nil)
	expect(t, r, http.StatusOK, "")
	body := string(r.Body)
	for _, secret := range []string{"argon2", "igest", goodPassword, "An0ther"} {
		if strings.Contains(body, secret) {
			t.Fatalf("interaction leaks %q: %s", secret, body)
		}
	}
	m := r.JSON()
	records := m["verificationRecords"].([]any)
	rec := records[0].(map[string]any)
	if m["interactionEvent"] != "Register" || rec["id"] != vid || rec["type"] != "NewPasswordIdentity" || rec["verified"] != true {
		t.Fatalf("unexpected interaction %s", body)
	}
}

// Concurrent switches of one interaction conflict in the store and are
// decided again on the new state. Every retried attempt must still see the
// request's body: all answer 204, one switch is recorded, and no request is
// recorded as refused.
func TestConcurrentSwitchesReadTheirBodyOnce(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	c := srv.Client(t)
	start(t, c, "SignIn")
	statuses := race(16, func(int) *apitest.Response {
		return c.Do(http.MethodPut, "/api/experience/interaction-event", map[string]any{"interactionEvent": "Register"})
	})
	for _, st := range statuses {
		if st != "204 " {
			t.Fatalf("statuses = %v, want 16 × 204", statuses)
		}
	}
	if got := interactionEvents(t, srv, c); !equal(got, []string{"interaction.started", "interaction.event.switched"}) {
		t.Fatalf("events = %v", got)
	}
}
