package experience_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/passkey/passkeytest"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/totp"
)

// mfaSettings enables TOTP, WebAuthn and backup codes under a policy.
func mfaSettings(policy string) *settings.SignInExperience {
	sie := settings.Default()
	sie.MFA = settings.MFA{Factors: []string{"Totp", "WebAuthn", "BackupCode"}, Policy: policy}
	return &sie
}

func post(t *testing.T, c *apitest.Client, path string, body any) *apitest.Response {
	t.Helper()
	return c.Do(http.MethodPost, "/api/experience"+path, body)
}

// identified signs in name up to identification.
func identified(t *testing.T, srv *apitest.Server, name string) *apitest.Client {
	t.Helper()
	c := srv.Client(t)
	start(t, c, "SignIn")
	expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, name, goodPassword))), http.StatusNoContent, "")
	return c
}

// bindTotp binds a new TOTP in c's interaction and returns its secret.
func bindTotp(t *testing.T, srv *apitest.Server, c *apitest.Client) string {
	t.Helper()
	r := post(t, c, "/verification/totp/secret", nil)
	expect(t, r, http.StatusOK, "")
	m := r.JSON()
	vid, secret := m["verificationId"].(string), m["secret"].(string)
	if len(secret) != 32 || len(m["secretQrCode"].(string)) < 100 {
		t.Fatalf("secret response %v", m)
	}
	code, _ := totp.Code(secret, srv.Clock.Now())
	expect(t, post(t, c, "/verification/totp/verify", map[string]any{"verificationId": vid, "code": code}), http.StatusOK, "")
	expect(t, post(t, c, "/profile/mfa", map[string]any{"type": "Totp", "verificationId": vid}), http.StatusNoContent, "")
	return secret
}

// bindBackupCodes binds new backup codes and returns them.
func bindBackupCodes(t *testing.T, c *apitest.Client) []string {
	t.Helper()
	r := post(t, c, "/verification/backup-code/generate", nil)
	expect(t, r, http.StatusOK, "")
	var body struct {
		VerificationID string   `json:"verificationId"`
		Codes          []string `json:"codes"`
	}
	_ = json.Unmarshal(r.Body, &body)
	if len(body.Codes) != 10 || len(body.Codes[0]) != 10 {
		t.Fatalf("codes = %v", body.Codes)
	}
	expect(t, post(t, c, "/profile/mfa", map[string]any{"type": "BackupCode", "verificationId": body.VerificationID}), http.StatusNoContent, "")
	return body.Codes
}

// bindWebAuthn registers the authenticator and binds it.
func bindWebAuthn(t *testing.T, c *apitest.Client, a *passkeytest.Authenticator) {
	t.Helper()
	r := post(t, c, "/verification/web-authn/registration", nil)
	expect(t, r, http.StatusOK, "")
	var body struct {
		VerificationID      string          `json:"verificationId"`
		RegistrationOptions json.RawMessage `json:"registrationOptions"`
	}
	_ = json.Unmarshal(r.Body, &body)
	payload := a.Register(body.RegistrationOptions, apitest.WebAuthnOrigin)
	expect(t, post(t, c, "/verification/web-authn/registration/verify", map[string]any{"verificationId": body.VerificationID, "payload": payload}), http.StatusOK, "")
	expect(t, post(t, c, "/profile/mfa", map[string]any{"type": "WebAuthn", "verificationId": body.VerificationID}), http.StatusNoContent, "")
}

// webAuthnAssert runs an authentication ceremony with the authenticator at origin.
func webAuthnAssert(t *testing.T, c *apitest.Client, a *passkeytest.Authenticator, origin string) (*apitest.Response, string, json.RawMessage) {
	t.Helper()
	r := post(t, c, "/verification/web-authn/authentication", nil)
	expect(t, r, http.StatusOK, "")
	var body struct {
		VerificationID        string          `json:"verificationId"`
		AuthenticationOptions json.RawMessage `json:"authenticationOptions"`
	}
	_ = json.Unmarshal(r.Body, &body)
	payload := a.Assert(body.AuthenticationOptions, origin)
	return post(t, c, "/verification/web-authn/authentication/verify", map[string]any{"verificationId": body.VerificationID, "payload": payload}), body.VerificationID, payload
}

func totpVerify(t *testing.T, c *apitest.Client, secret string, srv *apitest.Server) *apitest.Response {
	t.Helper()
	code, _ := totp.Code(secret, srv.Clock.Now())
	return post(t, c, "/verification/totp/verify", map[string]any{"code": code})
}

// aliceBindingTotp registers alice and signs her in, binding a TOTP; the
// interaction is not submitted yet. It returns its client and the secret.
func aliceBindingTotp(t *testing.T, srv *apitest.Server) (*apitest.Client, string) {
	t.Helper()
	register(t, srv, "alice", goodPassword)
	c := identified(t, srv, "alice")
	return c, bindTotp(t, srv, c)
}
