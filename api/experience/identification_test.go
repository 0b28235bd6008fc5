package experience_test

import (
	"net/http"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/settings"
)

func TestIdentifySignIn(t *testing.T) {
	codeOnly := settings.Default()
	codeOnly.SignIn.Methods = []settings.SignInMethod{{Identifier: "username", VerificationCode: true}}
	registerOnly := settings.Default()
	registerOnly.SignInMode = settings.ModeRegister
	srv := apitest.NewServer(t, apitest.Options{})
	register(t, srv, "alice", goodPassword)
	register(t, srv, "bob", goodPassword)

	t.Run("identifies and is idempotent", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "SignIn")
		vid := verificationID(t, verifyPassword(t, c, "alice", goodPassword))
		expect(t, identify(t, c, vid), http.StatusNoContent, "")
		expect(t, identify(t, c, vid), http.StatusNoContent, "")
		if got := interactionEvents(t, srv, c); !equal(got, []string{"interaction.started", "interaction.password.verified", "interaction.identified"}) {
			t.Fatalf("events = %v", got)
		}
	})
	t.Run("another user", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "SignIn")
		expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, "alice", goodPassword))), http.StatusNoContent, "")
		expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, "bob", goodPassword))), http.StatusConflict, "session.identity_conflict")
	})
	t.Run("errors", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "SignIn")
		expect(t, identify(t, c, ""), http.StatusBadRequest, "guard.invalid_input")
		expect(t, identify(t, c, "unknownverification1"), http.StatusNotFound, "session.verification_session_not_found")
		nid := verificationID(t, newIdentity(t, c, "carol", goodPassword))
		expect(t, identify(t, c, nid), http.StatusUnprocessableEntity, "user.sign_in_method_not_enabled")
		if last(interactionEvents(t, srv, c)) != "interaction.request.failed" {
			t.Fatal("failure not recorded")
		}
	})
	t.Run("password record in forgot password", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "SignIn")
		vid := verificationID(t, verifyPassword(t, c, "alice", goodPassword))
		start(t, c, "ForgotPassword")
		expect(t, identify(t, c, vid), http.StatusNotFound, "session.verification_session_not_found")
		vid = verificationID(t, verifyPassword(t, c, "alice", goodPassword))
		expect(t, identify(t, c, vid), http.StatusUnprocessableEntity, "session.not_supported_for_forgot_password")
	})
	for name, sie := range map[string]*settings.SignInExperience{"method disabled": &codeOnly, "sign-in disabled": &registerOnly} {
		t.Run(name, func(t *testing.T) {
			other := apitest.NewServer(t, apitest.Options{Settings: sie, Store: srv.Store})
			c := other.Client(t)
			start(t, c, "SignIn")
			want := map[string]struct {
				status int
				code   string
			}{"method disabled": {422, "user.sign_in_method_not_enabled"}, "sign-in disabled": {403, "auth.forbidden"}}[name]
			expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, "alice", goodPassword))), want.status, want.code)
		})
	}
}

func TestIdentifyRegister(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	register(t, srv, "alice", goodPassword)

	t.Run("creates the user once", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "Register")
		vid := verificationID(t, newIdentity(t, c, "carol", goodPassword))
		r := identify(t, c, vid)
		expect(t, r, http.StatusCreated, "")
		if string(r.Body) != "{}\n" {
			t.Fatalf("body = %q, want {}", r.Body)
		}
		expect(t, identify(t, c, vid), http.StatusConflict, "session.identity_conflict")
		if got := userEvents(t, srv, "2"); !equal(got, []string{"user.registered"}) {
			t.Fatalf("user events = %v", got)
		}
	})
	t.Run("missing password, then the profile completes it", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "Register")
		expect(t, c.Do(http.MethodPost, "/api/experience/profile", map[string]any{"type": "username", "value": "dave"}), http.StatusNoContent, "")
		r := identify(t, c, "")
		expect(t, r, http.StatusUnprocessableEntity, "user.missing_profile")
		if missing := r.JSON()["data"].(map[string]any)["missingProfile"].([]any); len(missing) != 1 || missing[0] != "password" {
			t.Fatalf("missingProfile = %v", missing)
		}
		expect(t, c.Do(http.MethodPost, "/api/experience/profile", map[string]any{"type": "password", "value": "N3w-Passw0rd"}), http.StatusNoContent, "")
		expect(t, identify(t, c, ""), http.StatusCreated, "")
		expect(t, submit(t, c), http.StatusOK, "")
		signIn(t, srv, "dave", "N3w-Passw0rd")
	})
	t.Run("username taken meanwhile", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "Register")
		vid := verificationID(t, newIdentity(t, c, "erin", goodPassword))
		register(t, srv, "erin", goodPassword)
		expect(t, identify(t, c, vid), http.StatusUnprocessableEntity, "user.username_already_in_use")
	})
	t.Run("password record cannot register", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "Register")
		expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, "alice", goodPassword))), http.StatusBadRequest, "session.verification_failed")
		expect(t, identify(t, c, "unknownverification1"), http.StatusNotFound, "session.verification_session_not_found")
	})
	t.Run("register disabled keeps the staged profile", func(t *testing.T) {
		signInOnly := settings.Default()
		signInOnly.SignInMode = settings.ModeSignIn
		other := apitest.NewServer(t, apitest.Options{Settings: &signInOnly, Store: srv.Store})
		c := other.Client(t)
		start(t, c, "Register")
		vid := verificationID(t, newIdentity(t, c, "frank", goodPassword))
		expect(t, identify(t, c, vid), http.StatusForbidden, "auth.forbidden")
		staged := c.Do(http.MethodGet, "/api/experience/interaction", nil).JSON()["profile"].(map[string]any)
		if staged["username"] != "frank" {
			t.Fatalf("profile = %v", staged)
		}
		if got := interactionEvents(t, other, c); !equal(got[len(got)-2:], []string{"interaction.profile.staged", "interaction.request.failed"}) {
			t.Fatalf("events = %v", got)
		}
	})
	t.Run("case-insensitive usernames collide", func(t *testing.T) {
		off := false
		sie := settings.Default()
		sie.UsernamePolicy.CaseSensitive = &off
		other := apitest.NewServer(t, apitest.Options{Settings: &sie})
		register(t, other, "Grace", goodPassword)
		c := other.Client(t)
		start(t, c, "Register")
		expect(t, newIdentity(t, c, "grace", goodPassword), http.StatusUnprocessableEntity, "user.username_already_in_use")
		signIn(t, other, "GRACE", goodPassword)
	})
}
