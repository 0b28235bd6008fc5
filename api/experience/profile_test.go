package experience_test

import (
	"net/http"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/settings"
)

func postProfile(t *testing.T, c *apitest.Client, body map[string]any) *apitest.Response {
	t.Helper()
	return c.Do(http.MethodPost, "/api/experience/profile", body)
}

func TestProfile(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	register(t, srv, "alice", goodPassword)
	signedIn := func(t *testing.T) *apitest.Client {
		c := srv.Client(t)
		start(t, c, "SignIn")
		expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, "alice", goodPassword))), http.StatusNoContent, "")
		return c
	}
	tests := []struct {
		name   string
		client func(t *testing.T) *apitest.Client
		body   map[string]any
		status int
		code   string
	}{
		{"register username", func(t *testing.T) *apitest.Client { c := srv.Client(t); start(t, c, "Register"); return c },
			map[string]any{"type": "username", "value": "bob"}, 204, ""},
		{"username taken", func(t *testing.T) *apitest.Client { c := srv.Client(t); start(t, c, "Register"); return c },
			map[string]any{"type": "username", "value": "alice"}, 422, "user.username_already_in_use"},
		{"username fails the regex", func(t *testing.T) *apitest.Client { c := srv.Client(t); start(t, c, "Register"); return c },
			map[string]any{"type": "username", "value": "9lives"}, 400, "guard.invalid_input"},
		{"sign-in before identification", func(t *testing.T) *apitest.Client { c := srv.Client(t); start(t, c, "SignIn"); return c },
			map[string]any{"type": "username", "value": "bob"}, 404, "session.identifier_not_found"},
		{"forgot password", func(t *testing.T) *apitest.Client { c := srv.Client(t); start(t, c, "ForgotPassword"); return c },
			map[string]any{"type": "username", "value": "bob"}, 400, "session.not_supported_for_forgot_password"},
		{"user has a username", signedIn, map[string]any{"type": "username", "value": "bob"}, 422, "user.username_exists_in_profile"},
		{"same password", signedIn, map[string]any{"type": "password", "value": goodPassword}, 422, "user.same_password"},
		{"user has a password", signedIn, map[string]any{"type": "password", "value": "Other-Passw0rd"}, 422, "user.password_exists_in_profile"},
		{"weak password", signedIn, map[string]any{"type": "password", "value": "alice123"}, 422, "password.rejected"},
		{"extra profile", signedIn, map[string]any{"type": "extraProfile", "values": map[string]any{"name": "Alice", "givenName": "A", "plan": "pro"}}, 204, ""},
		{"extra profile built-in", signedIn, map[string]any{"type": "extraProfile", "values": map[string]any{"preferredUsername": "x"}}, 400, "custom_profile_fields.name_conflict_built_in_prop"},
		{"extra profile identifier", signedIn, map[string]any{"type": "extraProfile", "values": map[string]any{"email": "x"}}, 400, "custom_profile_fields.name_conflict_sign_in_identifier"},
		{"extra profile reserved", signedIn, map[string]any{"type": "extraProfile", "values": map[string]any{"guideRequests": 1}}, 400, "custom_profile_fields.name_conflict_custom_data"},
		{"extra profile bad key", signedIn, map[string]any{"type": "extraProfile", "values": map[string]any{"a-b": 1}}, 400, "guard.invalid_input"},
		{"email record unknown", signedIn, map[string]any{"type": "email", "verificationId": "x"}, 404, "session.verification_session_not_found"},
		{"phone record unknown", signedIn, map[string]any{"type": "phone", "verificationId": "x"}, 404, "session.verification_session_not_found"},
		{"social record unknown", signedIn, map[string]any{"type": "social", "verificationId": "x"}, 404, "session.verification_session_not_found"},
		{"unknown type", signedIn, map[string]any{"type": "avatar"}, 400, "guard.invalid_input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.client(t)
			expect(t, postProfile(t, c, tt.body), tt.status, tt.code)
			want := "interaction.profile.staged"
			if tt.code != "" {
				want = "interaction.request.failed"
			}
			if got := last(interactionEvents(t, srv, c)); got != want {
				t.Fatalf("last event = %s, want %s", got, want)
			}
		})
	}
}

func TestExtraProfileIsWrittenAtSubmit(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	register(t, srv, "alice", goodPassword)
	c := srv.Client(t)
	start(t, c, "SignIn")
	expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, "alice", goodPassword))), http.StatusNoContent, "")
	expect(t, postProfile(t, c, map[string]any{"type": "extraProfile", "values": map[string]any{"name": "Alice"}}), http.StatusNoContent, "")
	expect(t, submit(t, c), http.StatusOK, "")
	if got := userEvents(t, srv, "1"); !equal(got, []string{"user.registered", "user.profile.updated"}) {
		t.Fatalf("user events = %v", got)
	}
}

func TestResetPasswordGuards(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	register(t, srv, "alice", goodPassword)
	c := srv.Client(t)
	start(t, c, "ForgotPassword")
	expect(t, c.Do(http.MethodPut, "/api/experience/profile/password", map[string]any{"password": "An0ther-Pass"}), http.StatusNotFound, "session.identifier_not_found")
	expect(t, c.Do(http.MethodPut, "/api/experience/profile/password", map[string]any{}), http.StatusBadRequest, "guard.invalid_input")
	start(t, c, "SignIn")
	expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, "alice", goodPassword))), http.StatusNoContent, "")
	expect(t, c.Do(http.MethodPut, "/api/experience/profile/password", map[string]any{"password": "An0ther-Pass"}), http.StatusBadRequest, "session.invalid_interaction_type")
	// A forgot-password identification needs an email or phone code record,
	// which the verification-code issue brings; submit's reset path is
	// covered by the domain tests until then.
	expect(t, submit(t, c), http.StatusOK, "")
}

func TestMandatoryProfileAtSignIn(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	register(t, srv, "alice", goodPassword)
	sie := settings.Default()
	sie.SignUp.SecondaryIdentifiers = []settings.SecondaryIdentifier{{Identifier: "email", Verify: true}}
	other := apitest.NewServer(t, apitest.Options{Settings: &sie, Store: srv.Store})
	c := other.Client(t)
	start(t, c, "SignIn")
	expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, "alice", goodPassword))), http.StatusNoContent, "")
	r := submit(t, c)
	expect(t, r, http.StatusUnprocessableEntity, "user.missing_profile")
	if missing := r.JSON()["data"].(map[string]any)["missingProfile"].([]any); len(missing) != 1 || missing[0] != "email" {
		t.Fatalf("missingProfile = %v", missing)
	}
}
