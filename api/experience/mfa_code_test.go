package experience_test

import (
	"net/http"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/settings"
)

// An email MFA factor: bound as MFA at sign-in, then required and proven
// by a code sent to the user's own address.
func TestEmailMFACode(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	sie := settings.Default()
	sie.MFA = settings.MFA{Factors: []string{"EmailVerificationCode", "Totp"}, Policy: "UserControlled"}
	srv := apitest.NewServer(t, apitest.Options{Settings: &sie, SMTP: smtp})
	register(t, apitest.NewServer(t, apitest.Options{Store: srv.Store}), "alice", goodPassword)

	c := identified(t, srv, "alice")
	expect(t, post(t, c, "/verification/mfa-verification-code", map[string]any{"identifierType": "email"}), http.StatusBadRequest, "session.mfa.mfa_factor_not_enabled")
	vid, code := emailCode(t, c, smtp, "alice.mfa@example.com", "SignIn")
	expect(t, verifyCodeReq(t, c, "email", "alice.mfa@example.com", vid, code), http.StatusOK, "")
	expect(t, post(t, c, "/profile/mfa", map[string]any{"type": "EmailVerificationCode", "verificationId": vid}), http.StatusNoContent, "")
	// Email is not a sign-up identifier here, so it was bound as MFA: no suggestion.
	expect(t, submit(t, c), http.StatusOK, "")

	c = identified(t, srv, "alice")
	r := submit(t, c)
	expect(t, r, http.StatusForbidden, "session.mfa.require_mfa_verification")
	data := r.JSON()["data"].(map[string]any)
	if masked := data["maskedIdentifiers"].(map[string]any)["EmailVerificationCode"]; masked != "alic****@example.com" {
		t.Fatalf("maskedIdentifiers = %v", data["maskedIdentifiers"])
	}
	before := len(smtp.Mail())
	mr := post(t, c, "/verification/mfa-verification-code", map[string]any{"identifierType": "email"})
	mvid := verificationID(t, mr)
	mail := smtp.WaitMail(t, before+1)[before]
	if mail.To[0] != "alice.mfa@example.com" {
		t.Fatalf("mail to %v", mail.To)
	}
	verify := func(code string) *apitest.Response {
		return post(t, c, "/verification/mfa-verification-code/verify", map[string]any{"identifierType": "email", "verificationId": mvid, "code": code})
	}
	expect(t, verify(wrong(mail.Code())), http.StatusBadRequest, "verification_code.code_mismatch")
	expect(t, verify(mail.Code()), http.StatusOK, "")
	expect(t, submit(t, c), http.StatusOK, "")

	other := srv.Client(t)
	start(t, other, "SignIn")
	expect(t, post(t, other, "/verification/mfa-verification-code", map[string]any{"identifierType": "email"}), http.StatusBadRequest, "session.identifier_not_found")
}

// A user whose only factor is the sign-up email is asked, once, to add another.
func TestSuggestAdditionalMFA(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	sie := settings.Default()
	sie.SignUp = settings.SignUp{Identifiers: []string{"email"}, Password: true, Verify: true}
	sie.MFA = settings.MFA{Factors: []string{"EmailVerificationCode", "Totp"}, Policy: "Mandatory"}
	srv := apitest.NewServer(t, apitest.Options{Settings: &sie, SMTP: smtp})
	c := srv.Client(t)
	start(t, c, "Register")
	vid, code := emailCode(t, c, smtp, "ann@example.com", "Register")
	expect(t, verifyCodeReq(t, c, "email", "ann@example.com", vid, code), http.StatusOK, "")
	expect(t, postProfile(t, c, map[string]any{"type": "password", "value": goodPassword}), http.StatusNoContent, "")
	expect(t, identify(t, c, vid), http.StatusCreated, "")
	r := submit(t, c)
	expect(t, r, http.StatusUnprocessableEntity, "session.mfa.suggest_additional_mfa")
	data := r.JSON()["data"].(map[string]any)
	if data["suggestion"] != true || data["skippable"] != true || data["maskedIdentifiers"].(map[string]any)["EmailVerificationCode"] != "****@example.com" {
		t.Fatalf("data = %v", data)
	}
	expect(t, post(t, c, "/profile/mfa/mfa-suggestion-skipped", nil), http.StatusNoContent, "")
	expect(t, submit(t, c), http.StatusOK, "")
	if got := last(userEvents(t, srv, "1")); got != "user.mfa_config.updated" {
		t.Fatalf("last user event = %s", got)
	}
}
