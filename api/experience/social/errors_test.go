package social_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authtrail/authtrail/api/apitest"
)

// Every refusal of the social routes answers the contract's code and
// writes the event that says why; the authorization survives a wrong state.
func TestSocialRefusals(t *testing.T) {
	p := startProvider(t)
	srv := newServer(t, p, apitest.Options{})
	start := func(t *testing.T) *apitest.Client {
		c := srv.Client(t)
		c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
		return c
	}

	t.Run("authorization-uri needs state and redirectUri", func(t *testing.T) {
		c := start(t)
		for _, body := range []map[string]any{{"redirectUri": redirectURI}, {"state": "s"}, {"state": "", "redirectUri": redirectURI}} {
			wantError(t, c.Do(http.MethodPost, "/api/experience/verification/social/google/authorization-uri", body),
				http.StatusBadRequest, "session.insufficient_info")
		}
		if n := count(events(t, srv, c), "interaction.request.failed"); n != 3 {
			t.Fatalf("%d refused requests recorded, want 3", n)
		}
	})
	t.Run("unknown and SSO connectors", func(t *testing.T) {
		c := start(t)
		body := map[string]any{"state": "s", "redirectUri": redirectURI}
		wantError(t, c.Do(http.MethodPost, "/api/experience/verification/social/nope/authorization-uri", body),
			http.StatusNotFound, "entity.not_found")
		wantError(t, c.Do(http.MethodPost, "/api/experience/verification/social/acme-sso/authorization-uri", body),
			http.StatusBadRequest, "connector.unexpected_type")
		wantError(t, verify(c, "nope", "x", map[string]any{"code": "c", "state": "s"}),
			http.StatusUnprocessableEntity, "session.invalid_connector_id")
		wantError(t, verify(c, "acme-sso", "x", map[string]any{"code": "c", "state": "s"}),
			http.StatusBadRequest, "connector.unexpected_type")
		evs := events(t, srv, c)
		if n := count(evs, "interaction.request.failed"); n != 4 || count(evs, evStarted) != 0 {
			t.Fatalf("events %v: want 4 refused requests and no authorization", evs)
		}
	})
	t.Run("verify of no record or another connector's", func(t *testing.T) {
		c := start(t)
		a := authorize(t, p, c, "google", "s", nil)
		wantError(t, verify(c, "google", "", a.callback()), http.StatusNotFound, "session.verification_session_not_found")
		wantError(t, verify(c, "google", "nope", a.callback()), http.StatusNotFound, "session.verification_session_not_found")
		wantError(t, verify(c, "github", a.verificationID, a.callback()), http.StatusNotFound, "session.verification_session_not_found")
		wantError(t, c.Do(http.MethodPost, "/api/experience/verification/social/google/verify", map[string]any{"verificationId": a.verificationID}),
			http.StatusBadRequest, "guard.invalid_input")
		if evs := events(t, srv, c); count(evs, evCallback) != 0 || count(evs, "interaction.request.failed") != 4 {
			t.Fatalf("events %v: want 4 refused requests and no callback", evs)
		}
	})
	t.Run("wrong or missing state leaves the authorization pending", func(t *testing.T) {
		c := start(t)
		a := authorize(t, p, c, "google", "right", ann())
		wantError(t, verify(c, "google", a.verificationID, map[string]any{"code": a.code, "state": "wrong"}),
			http.StatusBadRequest, "session.csrf_token_mismatch")
		wantError(t, verify(c, "google", a.verificationID, map[string]any{"code": a.code}),
			http.StatusBadRequest, "session.csrf_token_mismatch")
		evs := events(t, srv, c)
		if count(evs, evFailed) != 2 || count(evs, evCallback) != 0 || p.TokenCalls.Load() != 0 {
			t.Fatalf("events %v, %d token calls: want 2 failures, no callback, no exchange", evs, p.TokenCalls.Load())
		}
		if r := verify(c, "google", a.verificationID, a.callback()); r.Status != http.StatusOK {
			t.Fatalf("verify with the right state after a wrong one: %d %s", r.Status, r.Body)
		}
	})
	t.Run("a second verify finds the authorization consumed", func(t *testing.T) {
		c := start(t)
		a := authorize(t, p, c, "google", "s", ann())
		if r := verify(c, "google", a.verificationID, a.callback()); r.Status != http.StatusOK {
			t.Fatalf("verify: %d %s", r.Status, r.Body)
		}
		calls := p.TokenCalls.Load()
		wantError(t, verify(c, "google", a.verificationID, a.callback()), http.StatusBadRequest, "session.connector_validation_session_not_found")
		if p.TokenCalls.Load() != calls {
			t.Fatal("a second verify exchanged the code again")
		}
		if n := count(events(t, srv, c), evCallback); n != 1 {
			t.Fatalf("%d callbacks, want 1", n)
		}
	})
	t.Run("a replayed code is refused by the provider", func(t *testing.T) {
		c := start(t)
		first := authorize(t, p, c, "google", "s1", ann())
		if r := verify(c, "google", first.verificationID, first.callback()); r.Status != http.StatusOK {
			t.Fatalf("verify: %d %s", r.Status, r.Body)
		}
		second := authorize(t, p, c, "google", "s2", nil)
		wantError(t, verify(c, "google", second.verificationID, map[string]any{"code": first.code, "state": "s2"}),
			http.StatusUnauthorized, "connector.social_auth_code_invalid")
		if n := count(events(t, srv, c), evFailed); n != 1 {
			t.Fatalf("%d failures, want 1", n)
		}
	})
	t.Run("the provider refuses the sign-in", func(t *testing.T) {
		c := start(t)
		a := authorize(t, p, c, "google", "s", nil)
		wantError(t, verify(c, "google", a.verificationID, map[string]any{"error": "access_denied", "state": "s"}),
			http.StatusUnauthorized, "connector.authorization_failed")
		evs := events(t, srv, c)
		if count(evs, evCallback) != 1 || count(evs, evFailed) != 1 || count(evs, evExchange) != 0 {
			t.Fatalf("events %v: want the callback consumed, its failure, no exchange", evs)
		}
	})
	t.Run("the provider answers 500", func(t *testing.T) {
		c := start(t)
		a := authorize(t, p, c, "google", "s", ann())
		p.QueueError(&mockoidc.ServerError{Code: http.StatusInternalServerError, Error: "internal_server_error"})
		wantError(t, verify(c, "google", a.verificationID, a.callback()), http.StatusBadRequest, "connector.invalid_response")
		if n := count(events(t, srv, c), evFailed); n != 1 {
			t.Fatalf("%d failures, want 1", n)
		}
	})
}

// A provider that does not answer ends the verify with connector.general
// once connectors.timeout passed, and the trail says so.
func TestAHangingProviderEndsInATimeout(t *testing.T) {
	p := startProvider(t)
	srv := newServer(t, p, apitest.Options{ConnectorTimeout: 300 * time.Millisecond})
	c := srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	a := authorize(t, p, c, "google", "s", ann())
	p.Hang.Store(true)
	began := time.Now()
	wantError(t, verify(c, "google", a.verificationID, a.callback()), http.StatusBadRequest, "connector.general")
	if took := time.Since(began); took > 3*time.Second {
		t.Fatalf("verify took %v with a 300ms timeout", took)
	}
	evs := events(t, srv, c)
	if count(evs, evExchange) != 1 || count(evs, evFailed) != 1 || count(evs, evVerified) != 0 {
		t.Fatalf("events %v: want the exchange started and one failure", evs)
	}
}

// With no worker running, verify gives up at the timeout and records it;
// a worker started later finds the outcome and never exchanges the code.
func TestNoWorkerNoExchangeLater(t *testing.T) {
	p := startProvider(t)
	srv := newServer(t, p, apitest.Options{ConnectorTimeout: 200 * time.Millisecond, ManualWorkers: true})
	c := srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	a := authorize(t, p, c, "google", "s", ann())
	wantError(t, verify(c, "google", a.verificationID, a.callback()), http.StatusBadRequest, "connector.general")
	srv.StartWorkers(t)
	time.Sleep(500 * time.Millisecond) // the worker reads the callback and passes it over
	evs := events(t, srv, c)
	if count(evs, evFailed) != 1 || count(evs, evExchange) != 0 || p.TokenCalls.Load() != 0 {
		t.Fatalf("events %v, %d token calls: want one failure and no exchange", evs, p.TokenCalls.Load())
	}
}
