package experience_test

import (
	"net/http"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
)

// Answers that carry a secret (a TOTP secret, backup codes), and every
// other answer of the Experience API, tell caches not to keep them.
func TestAnswersAreNotStoredByCaches(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{Settings: apitest.ScriptSettings()})
	c := srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "Register"}, http.StatusNoContent)
	vid := c.Expect(http.MethodPost, "/verification/new-password-identity", map[string]any{
		"identifier": map[string]any{"type": "username", "value": "alice"}, "password": apitest.ScriptPassword}, http.StatusOK)["verificationId"]
	c.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusCreated)
	for _, step := range []struct {
		method, path string
		status       int
	}{
		{http.MethodPost, "/verification/totp/secret", http.StatusOK},
		{http.MethodPost, "/verification/backup-code/generate", http.StatusOK},
		{http.MethodGet, "/interaction", http.StatusOK},
		{http.MethodPost, "/verification/totp/verify", http.StatusBadRequest}, // an error answer too
	} {
		var body any = map[string]any{}
		if step.method == http.MethodGet {
			body = nil
		}
		resp := c.Do(step.method, "/api/experience"+step.path, body)
		if resp.Status != step.status {
			t.Fatalf("%s %s: %d %s, want %d", step.method, step.path, resp.Status, resp.Body, step.status)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s: Cache-Control %q, want no-store", step.method, step.path, got)
		}
	}
}
