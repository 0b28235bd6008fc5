package enterprisesso_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
)

// The error codes of POST /verification/sso/{connectorId}/authorization-uri
// and verify (experience-api.md §1.16–§1.17), each with what it records.
func TestSSORouteErrors(t *testing.T) {
	f := newFixture(t, apitest.Options{})
	c := f.srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	authorizeBody := map[string]any{"state": "s", "redirectUri": redirectURI}
	authorizeAt := func(connector string, body map[string]any) *apitest.Response {
		return c.Do(http.MethodPost, "/api/experience/verification/sso/"+connector+"/authorization-uri", body)
	}

	wantError(t, authorizeAt("nope", authorizeBody), http.StatusNotFound, "entity.not_exists_with_id")
	wantError(t, authorizeAt("google", authorizeBody), http.StatusNotFound, "entity.not_exists_with_id")
	wantError(t, authorizeAt("acme", map[string]any{"state": "", "redirectUri": redirectURI}), http.StatusBadRequest, "session.insufficient_info")
	wantError(t, authorizeAt("acme", map[string]any{"state": "s", "redirectUri": ""}), http.StatusBadRequest, "session.insufficient_info")
	wantError(t, c.Do(http.MethodPost, "/api/experience/verification/social/acme/authorization-uri", authorizeBody),
		http.StatusBadRequest, "connector.unexpected_type")

	vid, data := f.authorize(t, c, "acme", "s", employee("e-1", "e1@acme.com", true))
	wantError(t, verify(c, "nope", vid, data), http.StatusNotFound, "entity.not_exists_with_id")
	wantError(t, verify(c, "acme", "", data), http.StatusNotFound, "session.verification_session_not_found")
	wantError(t, verify(c, "acme", "nosuchrecord", data), http.StatusNotFound, "session.verification_session_not_found")
	wantError(t, verify(c, "acme-trusting", vid, data), http.StatusNotFound, "session.verification_session_not_found")
	wantError(t, c.Do(http.MethodPost, "/api/experience/verification/sso/acme/verify", map[string]any{"verificationId": vid}),
		http.StatusBadRequest, "guard.invalid_input")

	// A wrong state is refused and recorded, and leaves the authorization
	// pending: the right one still verifies, once.
	wantError(t, verify(c, "acme", vid, map[string]any{"code": data["code"], "state": "forged"}), http.StatusBadRequest, "session.csrf_token_mismatch")
	wantError(t, verify(c, "acme", vid, map[string]any{"code": data["code"]}), http.StatusBadRequest, "session.csrf_token_mismatch")
	if evs := f.events(t, c); count(evs, evFailed) != 2 || count(evs, evCallback) != 0 {
		t.Fatalf("events %v: want two refusals and no callback", evs)
	}
	c.Expect(http.MethodPost, "/verification/sso/acme/verify", map[string]any{"verificationId": vid, "connectorData": data}, http.StatusOK)
	wantError(t, verify(c, "acme", vid, data), http.StatusBadRequest, "session.connector_validation_session_not_found")

	// The IdP's own refusal (error=access_denied) consumes the authorization.
	vid, _ = f.authorize(t, c, "acme", "s2", employee("e-2", "e2@acme.com", true))
	wantError(t, verify(c, "acme", vid, map[string]any{"error": "access_denied", "state": "s2"}), http.StatusUnauthorized, "connector.authorization_failed")
	wantError(t, verify(c, "acme", vid, map[string]any{"code": "x", "state": "s2"}), http.StatusBadRequest, "session.connector_validation_session_not_found")

	// A replayed code is the IdP's to refuse.
	vid, data = f.authorize(t, c, "acme", "s3", employee("e-3", "e3@acme.com", true))
	c.Expect(http.MethodPost, "/verification/sso/acme/verify", map[string]any{"verificationId": vid, "connectorData": data}, http.StatusOK)
	vid2, _ := f.authorize(t, c, "acme", "s3", employee("e-3", "e3@acme.com", true))
	wantError(t, verify(c, "acme", vid2, data), http.StatusUnauthorized, "connector.social_auth_code_invalid")
}

// An SSO record identifies only with singleSignOnEnabled (record_test.go
// has the rest of its gate).
func TestSSOIdentificationGates(t *testing.T) {
	off := ssoSettings()
	off.SingleSignOnEnabled = false
	f := newFixture(t, apitest.Options{Settings: off})
	c, vid := f.signedIn(t, "acme", employee("e-1", "e1@acme.com", true))
	wantError(t, c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": vid}),
		http.StatusUnprocessableEntity, "user.sign_in_method_not_enabled")

}

// An IdP that hangs: verify answers the connector error when the timeout
// runs out, and the trail says so.
func TestSSOIdPThatHangs(t *testing.T) {
	f := newFixture(t, apitest.Options{ConnectorTimeout: 300 * time.Millisecond})
	c := f.srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	vid, data := f.authorize(t, c, "acme", "s", employee("e-1", "e1@acme.com", true))
	f.idp.Hang.Store(true)
	wantError(t, verify(c, "acme", vid, data), http.StatusBadRequest, "connector.general")
	if evs := f.events(t, c); count(evs, evFailed) != 1 || count(evs, evVerified) != 0 {
		t.Fatalf("events %v: want one failure", evs)
	}
}
