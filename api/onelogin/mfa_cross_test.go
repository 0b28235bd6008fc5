package onelogin_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/totp"
)

// An Authenticator enrolled through the MFA API is the user's TOTP at
// Experience API sign-in, and its code verifies there.
func TestMFAEnrolledTotpGuardsExperienceSignIn(t *testing.T) {
	e := mfaNewEnv(t)
	uid := e.user("kelly")
	if st, body := e.signIn("kelly"); st != http.StatusUnprocessableEntity || !bytes.Contains(body, []byte("user.suggest_mfa")) {
		t.Fatalf("sign-in without MFA: %d %s", st, body)
	}
	_, secret := e.accept(uid)
	e.clock.Advance(30 * time.Second)
	c := e.experience()
	c.start("kelly")
	st, body := c.do(http.MethodPost, "/submit", nil)
	var m struct {
		Code string `json:"code"`
		Data struct {
			AvailableFactors []string `json:"availableFactors"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &m)
	if st != http.StatusForbidden || m.Code != "session.mfa.require_mfa_verification" || !slices.Contains(m.Data.AvailableFactors, "Totp") {
		t.Fatalf("sign-in: %d %s", st, body)
	}
	code, _ := totp.Code(secret, e.clock.Now())
	if st, body := c.do(http.MethodPost, "/verification/totp/verify", map[string]any{"code": code}); st != http.StatusOK {
		t.Fatalf("totp verify: %d %s", st, body)
	}
	if st, body := c.do(http.MethodPost, "/submit", nil); st != http.StatusOK {
		t.Fatalf("submit: %d %s", st, body)
	}
}

// A TOTP bound through the Experience API is an Authenticator device here,
// verifiable with its codes.
func TestMFAExperienceTotpIsADevice(t *testing.T) {
	e := mfaNewEnv(t)
	uid := e.user("kelly")
	c := e.experience()
	c.start("kelly")
	_, body := c.do(http.MethodPost, "/verification/totp/secret", nil)
	var s struct{ VerificationID, Secret string }
	_ = json.Unmarshal(body, &s)
	code, _ := totp.Code(s.Secret, e.clock.Now())
	for _, step := range []struct {
		path string
		body map[string]any
	}{
		{"/verification/totp/verify", map[string]any{"verificationId": s.VerificationID, "code": code}},
		{"/profile/mfa", map[string]any{"type": "Totp", "verificationId": s.VerificationID}},
		{"/submit", nil},
	} {
		if st, body := c.do(http.MethodPost, step.path, step.body); st >= 300 {
			t.Fatalf("%s: %d %s", step.path, st, body)
		}
	}
	var devices []sdkDevice
	mfaStrict(t, e.call(http.MethodGet, uid, "/devices", nil), http.StatusOK, &devices)
	if len(devices) != 1 || devices[0].UserDisplayName != "Authenticator" || devices[0].AuthFactorName != "Google Authenticator" || !devices[0].Default {
		t.Fatalf("devices = %+v", devices)
	}
	var factors []sdkFactor
	mfaStrict(t, e.call(http.MethodGet, uid, "/factors", nil), http.StatusOK, &factors)
	if len(factors) != 0 {
		t.Fatalf("factors = %+v", factors)
	}
	e.clock.Advance(30 * time.Second)
	v := e.verification(uid, devices[0].DeviceID)
	if out := e.verify(uid, v.ID, e.code(s.Secret)); out.Status != "accepted" {
		t.Fatalf("verify: %+v", out)
	}
}

// mfaExperience is a cookie-keeping Experience API client.
type mfaExperience struct {
	e *mfaEnv
	c *apitest.Client
}

func (e *mfaEnv) experience() *mfaExperience {
	return &mfaExperience{e: e, c: apitest.NewClient(e.t, e.url)}
}

func (x *mfaExperience) do(method, path string, body any) (int, []byte) {
	x.e.t.Helper()
	r := x.c.Do(method, "/api/experience"+path, body)
	return r.Status, r.Body
}

// start begins a sign-in and identifies name by password.
func (x *mfaExperience) start(name string) {
	x.e.t.Helper()
	x.do(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"})
	_, body := x.do(http.MethodPost, "/verification/password",
		map[string]any{"identifier": map[string]string{"type": "username", "value": name}, "password": usersGoodPassword})
	var v struct{ VerificationID string }
	_ = json.Unmarshal(body, &v)
	if st, body := x.do(http.MethodPost, "/identification", map[string]any{"verificationId": v.VerificationID}); st != http.StatusNoContent {
		x.e.t.Fatalf("identification: %d %s", st, body)
	}
}

// signIn runs a password sign-in and returns the submit answer.
func (e *mfaEnv) signIn(name string) (int, []byte) {
	e.t.Helper()
	x := e.experience()
	x.start(name)
	return x.do(http.MethodPost, "/submit", nil)
}
