package experience_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore"
)

// A client's X-Request-Id of 64 KiB is replaced rather than stored (never
// a 500), and every wrong password sent with it counts: eight wrong
// guesses against a limit of five leave the identifier blocked, even for
// the right password.
func TestEveryAttemptCountsWhateverTheRequestID(t *testing.T) {
	sie := settings.Default()
	sie.SentinelPolicy = settings.SentinelPolicy{MaxAttempts: 5, LockoutDuration: 60}
	srv := apitest.NewServer(t, apitest.Options{Settings: &sie})
	apitest.Register(t, srv, "alice")
	huge := strings.Repeat("r", 64<<10)
	c := srv.Client(t).WithHeader("X-Request-Id", huge)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	alice := map[string]any{"type": "username", "value": "alice"}
	guess := func(password string) *apitest.Response {
		t.Helper()
		resp := c.Do(http.MethodPost, "/api/experience/verification/password", map[string]any{"identifier": alice, "password": password})
		if id := resp.Header.Get("X-Request-Id"); id == huge || len(id) > 128 || id == "" {
			t.Fatalf("X-Request-Id answered with %d bytes, want a fresh id", len(id))
		}
		return resp
	}
	for i := range 8 {
		resp := guess("Wr0ng!pass")
		want, code := http.StatusUnprocessableEntity, "session.invalid_credentials"
		if i >= 4 { // the fifth failure blocks, as in Logto
			want, code = http.StatusBadRequest, "session.verification_blocked_too_many_attempts"
		}
		if resp.Status != want || resp.JSON()["code"] != code {
			t.Fatalf("guess %d: %d %s, want %d %s", i+1, resp.Status, resp.Body, want, code)
		}
	}
	if resp := guess(apitest.ScriptPassword); resp.Status != http.StatusBadRequest ||
		resp.JSON()["code"] != "session.verification_blocked_too_many_attempts" {
		t.Fatalf("the right password while blocked: %d %s", resp.Status, resp.Body)
	}
	// Every guess is in the log, none under the client's id.
	envs, _, err := srv.Store.Load(context.Background(), eventstore.MustSubject(interaction.AggregateType, c.InteractionID()))
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, env := range envs {
		if env.Type == "interaction.password.failed" {
			failed++
		}
		if len(env.CorrelationID) > 128 {
			t.Fatalf("%s carries a correlation id of %d bytes", env.Type, len(env.CorrelationID))
		}
	}
	if failed != 9 || len(envs) != 10 {
		t.Fatalf("%d events, %d of them interaction.password.failed; want interaction.started and 9 failures", len(envs), failed)
	}
}
