package onelogin_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var mfaSixDigits = regexp.MustCompile(`^\d{6}$`)

// The SMS flow: SMS registration with the code from the SMS connector,
// devices, then a verification with a new SMS.
func TestMFASMSFlow(t *testing.T) {
	e := mfaNewCodeEnv(t)
	uid := e.userWithPhone("kelly", "+61 412 345 678")
	var factors []sdkFactor
	mfaStrict(t, e.call(http.MethodGet, uid, "/factors", nil), http.StatusOK, &factors)
	if len(factors) != 3 || factors[1] != (sdkFactor{mfaSMSID, "OneLogin SMS", "SMS"}) || factors[2] != (sdkFactor{mfaEmailID, "OneLogin Email", "OneLogin Email"}) {
		t.Fatalf("factors = %+v", factors)
	}
	reg := e.register(uid, mfaSMSID, map[string]any{"expires_in": "300"})
	if !mfaUUID.MatchString(reg.ID) || reg.Status != "pending" || reg.UserID != strconv.FormatInt(uid, 10) ||
		reg.UserDisplayName != "My device" || reg.TypeDisplayName != "OneLogin SMS" || reg.AuthFactorName != "SMS" ||
		reg.ExpiresAt != "2026-11-23T10:05:00Z" || !reg.Default {
		t.Fatalf("registration = %+v", reg)
	}
	sms := e.sms.wait(t, 1)
	code := sms["code"]
	if sms["to"] != "61412345678" || !mfaSixDigits.MatchString(code) || sms["type"] != "BindMfa" {
		t.Fatalf("SMS = %v", sms)
	}
	if st := e.confirm(uid, reg.ID, other(code)); st != (sdkStatus{reg.ID, "pending", reg.DeviceID}) {
		t.Fatalf("wrong code: %+v", st)
	}
	if st := e.confirm(uid, reg.ID, code); st != (sdkStatus{reg.ID, "accepted", reg.DeviceID}) {
		t.Fatalf("confirm: %+v", st)
	}
	authExpect(t, e.call(http.MethodPut, uid, "/registrations/"+reg.ID, map[string]any{"otp": code}), http.StatusForbidden, mfaForbidden)
	e.srv.WaitEvent(t, "mfa.code.sent", 1)

	var devices []sdkDevice
	mfaStrict(t, e.call(http.MethodGet, uid, "/devices", nil), http.StatusOK, &devices)
	if len(devices) != 1 || devices[0] != (sdkDevice{reg.DeviceID, "My device", "OneLogin SMS", "SMS", true}) {
		t.Fatalf("devices = %+v", devices)
	}
	mfaStrict(t, e.call(http.MethodGet, uid, "/factors", nil), http.StatusOK, &factors)
	if len(factors) != 2 || factors[1].FactorID != mfaEmailID {
		t.Fatalf("factors after enrolment = %+v", factors)
	}

	e.clock.Advance(30 * time.Second) // one send per 30 s
	v := e.verification(uid, reg.DeviceID)
	if strconv.FormatInt(v.DeviceID, 10) != reg.DeviceID || v.Status != "pending" || v.TypeDisplayName != "OneLogin SMS" ||
		v.AuthFactorName != "SMS" || v.UserDisplayName != "My device" || v.ExpiresAt != "2026-11-23T10:02:30Z" {
		t.Fatalf("verification = %+v", v)
	}
	sms = e.sms.wait(t, 2)
	if sms["to"] != "61412345678" || sms["type"] != "MfaVerification" || sms["code"] == code {
		t.Fatalf("second SMS = %v", sms)
	}
	if out := e.verify(uid, v.ID, code); out.Status != "pending" || !out.Error {
		t.Fatalf("the registration's code: %+v", out)
	}
	// No device_id needed for SMS.
	if out := e.verify(uid, v.ID, sms["code"]); out != (sdkVerify{v.ID, "accepted", reg.DeviceID, false, 200, "success", "Success"}) {
		t.Fatalf("verify: %+v", out)
	}
	// Single use.
	authExpect(t, e.call(http.MethodPut, uid, "/verifications/"+v.ID, map[string]any{"otp": sms["code"]}), http.StatusForbidden, mfaForbidden)
	e.srv.WaitEvent(t, "mfa.code.sent", 2)

	// Removing the device makes the factor enrollable again.
	if res := e.call(http.MethodDelete, uid, "/devices/"+reg.DeviceID, nil); res.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", res.status, res.body)
	}
	mfaStrict(t, e.call(http.MethodGet, uid, "/factors", nil), http.StatusOK, &factors)
	if len(factors) != 3 {
		t.Fatalf("factors after delete = %+v", factors)
	}
}

// An Email registration through the SMTP connector; an Email device's
// verification also takes the temporary MFA token.
func TestMFAEmailRegistration(t *testing.T) {
	e := mfaNewCodeEnv(t)
	uid := e.user("lee")
	reg := e.register(uid, mfaEmailID, nil)
	mail := e.smtp.WaitMail(t, 1)[0]
	if len(mail.To) != 1 || mail.To[0] != "lee@example.com" || !mfaSixDigits.MatchString(mail.Code()) {
		t.Fatalf("mail = %+v", mail)
	}
	if st := e.confirm(uid, reg.ID, mail.Code()); st.Status != "accepted" {
		t.Fatalf("confirm: %+v", st)
	}
	device, _ := e.accept(uid) // and an Authenticator
	var devices []sdkDevice
	mfaStrict(t, e.call(http.MethodGet, uid, "/devices", nil), http.StatusOK, &devices)
	if len(devices) != 2 || devices[0] != (sdkDevice{reg.DeviceID, "My device", "OneLogin Email", "OneLogin Email", true}) ||
		devices[1].DeviceID != device || devices[1].Default {
		t.Fatalf("devices = %+v", devices)
	}

	var tok sdkToken
	mfaStrict(t, e.call(http.MethodPost, uid, "/mfa_token", map[string]any{"expires_in": 300}), http.StatusCreated, &tok)
	e.clock.Advance(30 * time.Second)
	v := e.verification(uid, reg.DeviceID)
	if got := e.smtp.WaitMail(t, 2)[1]; got.Code() == "" || got.Code() == mail.Code() {
		t.Fatalf("verification mail = %+v", got)
	}
	if out := e.verify(uid, v.ID, tok.MFAToken); out.Status != "accepted" {
		t.Fatalf("mfa_token on an Email verification: %+v", out)
	}
}

// verified:true (docs/onelogin-api.md, Registrations): accepted at once, nothing sent.
func TestMFAVerifiedRegistration(t *testing.T) {
	e := mfaNewCodeEnv(t)
	uid := e.userWithPhone("kim", "61412345679")
	reg := e.register(uid, mfaSMSID, map[string]any{"verified": true})
	if reg.Status != "accepted" || !reg.Default {
		t.Fatalf("registration = %+v", reg)
	}
	var st sdkStatus
	mfaStrict(t, e.call(http.MethodGet, uid, "/registrations/"+reg.ID, nil), http.StatusOK, &st)
	if st != (sdkStatus{reg.ID, "accepted", reg.DeviceID}) {
		t.Fatalf("GET = %+v", st)
	}
	authExpect(t, e.call(http.MethodPut, uid, "/registrations/"+reg.ID, map[string]any{"otp": "123456"}), http.StatusForbidden, mfaForbidden)
	mail := e.register(uid, mfaEmailID, map[string]any{"verified": "true"})
	var devices []sdkDevice
	mfaStrict(t, e.call(http.MethodGet, uid, "/devices", nil), http.StatusOK, &devices)
	if len(devices) != 2 || devices[0].DeviceID != reg.DeviceID || devices[1] != (sdkDevice{mail.DeviceID, "My device", "OneLogin Email", "OneLogin Email", false}) {
		t.Fatalf("devices = %+v", devices)
	}
	if n := len(e.events("delivery.requested")); n != 0 || e.sms.count() != 0 || e.smtp.Count() != 0 {
		t.Fatalf("verified registrations sent codes: %d requests", n)
	}
	// One of each per user.
	authExpect(t, e.call(http.MethodPost, uid, "/registrations", map[string]any{"factor_id": mfaSMSID, "display_name": "x", "verified": true}),
		http.StatusUnprocessableEntity, mfaInvalid(`"factor_id"`))
	authExpect(t, e.call(http.MethodPost, uid, "/registrations", map[string]any{"factor_id": mfaAuthenticatorID, "display_name": "x", "verified": true}),
		http.StatusUnprocessableEntity, mfaInvalid(`"verified"`))
}

// A user without a phone is not offered SMS, and may not register it.
func TestMFASMSWithoutPhone(t *testing.T) {
	e := mfaNewCodeEnv(t)
	uid := e.user("noah")
	var factors []sdkFactor
	mfaStrict(t, e.call(http.MethodGet, uid, "/factors", nil), http.StatusOK, &factors)
	if len(factors) != 2 || factors[0].FactorID != mfaAuthenticatorID || factors[1].FactorID != mfaEmailID {
		t.Fatalf("factors = %+v", factors)
	}
	for _, verified := range []bool{false, true} {
		authExpect(t, e.call(http.MethodPost, uid, "/registrations", map[string]any{"factor_id": mfaSMSID, "display_name": "x", "verified": verified}),
			http.StatusUnprocessableEntity, mfaInvalid(`"factor_id"`))
	}
}

// custom_message shapes the SMS text; one without the code or longer than
// an SMS is refused.
func TestMFASMSCustomMessage(t *testing.T) {
	e := mfaNewCodeEnv(t)
	uid := e.userWithPhone("cora", "+61 412 345 679")
	for _, bad := range []string{"no code here", strings.Repeat("x", 160) + "{{otp_code}}"} {
		res := e.call(http.MethodPost, uid, "/registrations", map[string]any{
			"factor_id": mfaSMSID, "display_name": "My device", "custom_message": bad})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(string(res.body), `"custom_message"`) {
			t.Fatalf("custom_message %q: %d %s", bad, res.status, res.body)
		}
	}
	reg := e.register(uid, mfaSMSID, map[string]any{"custom_message": "ACME code {{otp_code}}, {{otp_expiry}} min"})
	sms := e.sms.wait(t, 1)
	if want := "ACME code " + sms["code"] + ", 2 min"; sms["message"] != want {
		t.Fatalf("SMS text %q, want %q", sms["message"], want)
	}
	if st := e.confirm(uid, reg.ID, sms["code"]); st.Status != "accepted" {
		t.Fatalf("confirm: %+v", st)
	}
}
