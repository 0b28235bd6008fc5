package experience_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/settings"
)

// emailSettings: email sign-up with a password, email sign-in by password or code.
func emailSettings() *settings.SignInExperience {
	sie := settings.Default()
	sie.SignUp = settings.SignUp{Identifiers: []string{"email"}, Password: true, Verify: true}
	sie.SignIn.Methods = []settings.SignInMethod{
		{Identifier: "email", Password: true, VerificationCode: true},
		{Identifier: "phone", Password: true, VerificationCode: true},
	}
	return &sie
}

func sendCode(t *testing.T, c *apitest.Client, typ, value, event string) *apitest.Response {
	t.Helper()
	return c.Do(http.MethodPost, "/api/experience/verification/verification-code",
		map[string]any{"identifier": map[string]string{"type": typ, "value": value}, "interactionEvent": event})
}

func verifyCodeReq(t *testing.T, c *apitest.Client, typ, value, vid, code string) *apitest.Response {
	t.Helper()
	return c.Do(http.MethodPost, "/api/experience/verification/verification-code/verify",
		map[string]any{"identifier": map[string]string{"type": typ, "value": value}, "verificationId": vid, "code": code})
}

// emailCode sends a code to address and returns the record id and the code
// read from the mail that arrived.
func emailCode(t *testing.T, c *apitest.Client, smtp *apitest.SMTPServer, address, event string) (string, string) {
	t.Helper()
	before := len(smtp.Mail())
	vid := verificationID(t, sendCode(t, c, "email", address, event))
	mail := smtp.WaitMail(t, before+1)[before]
	if len(mail.To) != 1 || mail.To[0] != address || mail.Code() == "" {
		t.Fatalf("unexpected mail %+v", mail)
	}
	return vid, mail.Code()
}

func TestEmailCodeFlows(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	srv := apitest.NewServer(t, apitest.Options{Settings: emailSettings(), SMTP: smtp})
	const address = "ann@example.com"

	// Registration: code, then the missing password, then the user.
	c := srv.Client(t)
	start(t, c, "Register")
	vid, code := emailCode(t, c, smtp, address, "Register")
	expect(t, verifyCodeReq(t, c, "email", address, vid, code), http.StatusOK, "")
	r := identify(t, c, vid)
	expect(t, r, http.StatusUnprocessableEntity, "user.missing_profile")
	expect(t, postProfile(t, c, map[string]any{"type": "password", "value": goodPassword}), http.StatusNoContent, "")
	expect(t, identify(t, c, ""), http.StatusCreated, "")
	expect(t, submit(t, c), http.StatusOK, "")
	if got := userEvents(t, srv, "1"); !equal(got, []string{"user.registered"}) {
		t.Fatalf("user events = %v", got)
	}

	// Sign-in with a code.
	c = srv.Client(t)
	start(t, c, "SignIn")
	vid, code = emailCode(t, c, smtp, address, "SignIn")
	expect(t, verifyCodeReq(t, c, "email", "ANN@example.com", vid, code), http.StatusOK, "")
	expect(t, identify(t, c, vid), http.StatusNoContent, "")
	expect(t, submit(t, c), http.StatusOK, "")

	// Forgot password to its end.
	c = srv.Client(t)
	start(t, c, "ForgotPassword")
	vid, code = emailCode(t, c, smtp, address, "ForgotPassword")
	expect(t, verifyCodeReq(t, c, "email", address, vid, code), http.StatusOK, "")
	expect(t, identify(t, c, vid), http.StatusNoContent, "")
	expect(t, c.Do(http.MethodPut, "/api/experience/profile/password", map[string]any{"password": goodPassword}), http.StatusUnprocessableEntity, "user.same_password")
	expect(t, c.Do(http.MethodPut, "/api/experience/profile/password", map[string]any{"password": "weak"}), http.StatusUnprocessableEntity, "password.rejected")
	expect(t, c.Do(http.MethodPut, "/api/experience/profile/password", map[string]any{"password": "An0ther-Passw0rd"}), http.StatusNoContent, "")
	r = submit(t, c)
	expect(t, r, http.StatusNoContent, "")
	if len(r.Body) != 0 {
		t.Fatalf("forgot-password submit body = %q", r.Body)
	}
	expect(t, c.Do(http.MethodGet, "/api/experience/interaction", nil), http.StatusNotFound, "session.interaction_not_found")
	if got := userEvents(t, srv, "1"); !equal(got, []string{"user.registered", "user.password.changed"}) {
		t.Fatalf("user events = %v", got)
	}
	c = srv.Client(t)
	start(t, c, "SignIn")
	verify := func(pw string) *apitest.Response {
		return c.Do(http.MethodPost, "/api/experience/verification/password",
			map[string]any{"identifier": map[string]string{"type": "email", "value": address}, "password": pw})
	}
	expect(t, verify(goodPassword), http.StatusUnprocessableEntity, "session.invalid_credentials")
	verificationID(t, verify("An0ther-Passw0rd"))
}

// smsReceiver is an SMS webhook that fails the first `fail` requests.
type smsReceiver struct {
	mu       sync.Mutex
	fail     int
	requests int
	messages []map[string]string
}

func (s *smsReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.fail != 0 {
		if s.fail > 0 {
			s.fail--
		}
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var m map[string]string
	_ = json.Unmarshal(body, &m)
	s.messages = append(s.messages, m)
}

func (s *smsReceiver) wait(t *testing.T, n int) []map[string]string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		s.mu.Lock()
		got := append([]map[string]string(nil), s.messages...)
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
	}
	t.Fatalf("%d SMS arrived, want %d", len(s.messages), n)
	return nil
}

func TestPhoneCodeSignUpAndSignIn(t *testing.T) {
	sms := &smsReceiver{}
	hook := httptest.NewServer(sms)
	defer hook.Close()
	sie := emailSettings()
	sie.SignUp = settings.SignUp{Identifiers: []string{"phone"}, Verify: true}
	srv := apitest.NewServer(t, apitest.Options{Settings: sie, SMSURL: hook.URL})
	const phone = "61412345678"

	c := srv.Client(t)
	start(t, c, "Register")
	vid := verificationID(t, sendCode(t, c, "phone", phone, "Register"))
	msg := sms.wait(t, 1)[0]
	if msg["to"] != phone || msg["type"] != "Register" || len(msg["code"]) != 6 || !strings.Contains(msg["message"], msg["code"]) {
		t.Fatalf("sms = %v", msg)
	}
	expect(t, verifyCodeReq(t, c, "phone", phone, vid, msg["code"]), http.StatusOK, "")
	expect(t, identify(t, c, vid), http.StatusCreated, "")
	expect(t, submit(t, c), http.StatusOK, "")

	// The same number with a trunk zero is the same user.
	c = srv.Client(t)
	start(t, c, "SignIn")
	vid = verificationID(t, sendCode(t, c, "phone", "610412345678", "SignIn"))
	msg = sms.wait(t, 2)[1]
	expect(t, verifyCodeReq(t, c, "phone", "610412345678", vid, msg["code"]), http.StatusOK, "")
	expect(t, identify(t, c, vid), http.StatusNoContent, "")
	expect(t, submit(t, c), http.StatusOK, "")
}

func TestPhoneForgotPasswordAndCodeLockout(t *testing.T) {
	sms := &smsReceiver{}
	hook := httptest.NewServer(sms)
	defer hook.Close()
	sie := emailSettings()
	sie.SignUp = settings.SignUp{Identifiers: []string{"phone"}, Password: true, Verify: true}
	sie.SentinelPolicy = settings.SentinelPolicy{MaxAttempts: 3, LockoutDuration: 60}
	srv := apitest.NewServer(t, apitest.Options{Settings: sie, SMSURL: hook.URL})
	const phone = "61412345678"
	codeFor := func(c *apitest.Client, event string, n int) (string, string) {
		vid := verificationID(t, sendCode(t, c, "phone", phone, event))
		return vid, sms.wait(t, n)[n-1]["code"]
	}

	c := srv.Client(t)
	start(t, c, "Register")
	vid, code := codeFor(c, "Register", 1)
	expect(t, verifyCodeReq(t, c, "phone", "61499999999", vid, code), http.StatusBadRequest, "verification_code.phone_mismatch")
	expect(t, verifyCodeReq(t, c, "phone", phone, vid, code), http.StatusOK, "")
	expect(t, postProfile(t, c, map[string]any{"type": "password", "value": goodPassword}), http.StatusNoContent, "")
	expect(t, identify(t, c, vid), http.StatusCreated, "")
	expect(t, submit(t, c), http.StatusOK, "")

	c = srv.Client(t)
	start(t, c, "ForgotPassword")
	vid, code = codeFor(c, "ForgotPassword", 2)
	expect(t, verifyCodeReq(t, c, "phone", phone, vid, code), http.StatusOK, "")
	expect(t, identify(t, c, vid), http.StatusNoContent, "")
	expect(t, c.Do(http.MethodPut, "/api/experience/profile/password", map[string]any{"password": "An0ther-Passw0rd"}), http.StatusNoContent, "")
	expect(t, submit(t, c), http.StatusNoContent, "")

	// The third failure locks the phone for codes and passwords alike (one
	// pool), even for the right code.
	c = srv.Client(t)
	start(t, c, "SignIn")
	vid, code = codeFor(c, "SignIn", 3)
	expect(t, verifyCodeReq(t, c, "phone", phone, vid, wrong(code)), http.StatusBadRequest, "verification_code.code_mismatch")
	expect(t, verifyCodeReq(t, c, "phone", phone, vid, wrong(code)), http.StatusBadRequest, "verification_code.code_mismatch")
	expect(t, verifyCodeReq(t, c, "phone", phone, vid, wrong(code)), http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
	expect(t, verifyCodeReq(t, c, "phone", phone, vid, code), http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
	pw := c.Do(http.MethodPost, "/api/experience/verification/password",
		map[string]any{"identifier": map[string]string{"type": "phone", "value": phone}, "password": "An0ther-Passw0rd"})
	expect(t, pw, http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
}
