package experience_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore"
)

func TestVerifyCodeErrors(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	sie := emailSettings()
	sie.VerificationCodePolicy = settings.VerificationCodePolicy{ExpirationDuration: 600, MaxRetryAttempts: 2}
	srv := apitest.NewServer(t, apitest.Options{Settings: sie, SMTP: smtp})
	const address = "ann@example.com"
	c := srv.Client(t)
	start(t, c, "Register")

	t.Run("record and code checks in order", func(t *testing.T) {
		vid, code := emailCode(t, c, smtp, address, "Register")
		expect(t, verifyCodeReq(t, c, "email", address, "unknownverification1", code), http.StatusNotFound, "session.verification_session_not_found")
		expect(t, verifyCodeReq(t, c, "phone", "123456", vid, code), http.StatusNotFound, "session.verification_session_not_found")
		expect(t, verifyCodeReq(t, c, "email", address, vid, ""), http.StatusBadRequest, "verification_code.not_found")
		expect(t, verifyCodeReq(t, c, "email", "bob@example.com", vid, code), http.StatusBadRequest, "verification_code.email_mismatch")
		expect(t, verifyCodeReq(t, c, "email", address, vid, wrong(code)), http.StatusBadRequest, "verification_code.code_mismatch")
		expect(t, verifyCodeReq(t, c, "email", address, vid, code), http.StatusOK, "")
		expect(t, verifyCodeReq(t, c, "email", address, vid, code), http.StatusBadRequest, "verification_code.not_found")
	})
	t.Run("max tries, even for the right code, even after a resend", func(t *testing.T) {
		other := "max@example.com"
		vid, code := emailCode(t, c, smtp, other, "Register")
		expect(t, verifyCodeReq(t, c, "email", other, vid, wrong(code)), http.StatusBadRequest, "verification_code.code_mismatch")
		expect(t, verifyCodeReq(t, c, "email", other, vid, wrong(code)), http.StatusBadRequest, "verification_code.code_mismatch")
		expect(t, verifyCodeReq(t, c, "email", other, vid, code), http.StatusBadRequest, "verification_code.exceed_max_try")
		vid2, code2 := emailCode(t, c, smtp, other, "Register")
		expect(t, verifyCodeReq(t, c, "email", other, vid, code), http.StatusNotFound, "session.verification_session_not_found")
		expect(t, verifyCodeReq(t, c, "email", other, vid2, code2), http.StatusBadRequest, "verification_code.exceed_max_try")
	})
	t.Run("expiry", func(t *testing.T) {
		other := "late@example.com"
		vid, code := emailCode(t, c, smtp, other, "Register")
		srv.Clock.Advance(600 * time.Second)
		expect(t, verifyCodeReq(t, c, "email", other, vid, code), http.StatusBadRequest, "verification_code.expired")
	})
	t.Run("bad bodies", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"identifier": map[string]string{"type": "email", "value": "nope"}, "interactionEvent": "SignIn"},
			{"identifier": map[string]string{"type": "phone", "value": "+61412345678"}, "interactionEvent": "SignIn"},
			{"identifier": map[string]string{"type": "username", "value": "ann"}, "interactionEvent": "SignIn"},
			{"identifier": map[string]string{"type": "email", "value": address}, "interactionEvent": "Login"},
			{"identifier": map[string]string{"type": "email", "value": strings.Repeat("a", 250) + "@example.com"}, "interactionEvent": "SignIn"},
		} {
			expect(t, c.Do(http.MethodPost, "/api/experience/verification/verification-code", body), http.StatusBadRequest, "guard.invalid_input")
		}
	})
}

func wrong(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestSendCodeErrors(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	sie := emailSettings()
	sie.EmailBlocklistPolicy.CustomBlocklist = []string{"@blocked.example"}
	srv := apitest.NewServer(t, apitest.Options{Settings: sie, SMTP: smtp})

	t.Run("no sms connector", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "SignIn")
		expect(t, sendCode(t, c, "phone", "61412345678", "SignIn"), http.StatusNotImplemented, "connector.not_found")
	})
	t.Run("blocklist at registration only", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "Register")
		expect(t, sendCode(t, c, "email", "x@blocked.example", "Register"), http.StatusUnprocessableEntity, "session.email_blocklist.email_not_allowed")
		verificationID(t, sendCode(t, c, "email", "x@blocked.example", "SignIn"))
	})
	t.Run("rate limit per recipient across interactions", func(t *testing.T) {
		for i := 0; i < 10; i++ {
			c := srv.Client(t)
			start(t, c, "SignIn")
			verificationID(t, sendCode(t, c, "email", "Busy@example.com", "SignIn"))
		}
		c := srv.Client(t)
		start(t, c, "SignIn")
		expect(t, sendCode(t, c, "email", "busy@example.com", "SignIn"), http.StatusTooManyRequests, "request.message_rate_limited")
		verificationID(t, sendCode(t, c, "email", "idle@example.com", "SignIn"))
		srv.Clock.Advance(600 * time.Second)
		verificationID(t, sendCode(t, c, "email", "busy@example.com", "SignIn"))
	})
	t.Run("suppressed delivery answers alike and sends nothing", func(t *testing.T) {
		smtp := apitest.NewSMTPServer(t)
		srv := apitest.NewServer(t, apitest.Options{Settings: sie, SMTP: smtp})
		c := srv.Client(t)
		start(t, c, "ForgotPassword")
		before := len(smtp.Mail())
		r := sendCode(t, c, "email", "nobody@example.com", "ForgotPassword")
		verificationID(t, r)
		// A real send to a known-to-work address after it proves the worker ran past it.
		verificationID(t, sendCode(t, c, "email", "marker@example.com", "SignIn"))
		mail := smtp.WaitMail(t, before+1)
		if got := mail[len(mail)-1].To[0]; got != "marker@example.com" || len(mail) != before+1 {
			t.Fatalf("suppressed code was sent: %+v", mail[before:])
		}
	})
	t.Run("forgot password methods", func(t *testing.T) {
		none := emailSettings()
		none.ForgotPasswordMethods = []string{}
		other := apitest.NewServer(t, apitest.Options{Settings: none, SMTP: smtp})
		register := other.Client(t)
		start(t, register, "Register")
		vid, code := emailCode(t, register, smtp, "fp@example.com", "Register")
		expect(t, verifyCodeReq(t, register, "email", "fp@example.com", vid, code), http.StatusOK, "")
		expect(t, postProfile(t, register, map[string]any{"type": "password", "value": goodPassword}), http.StatusNoContent, "")
		expect(t, identify(t, register, vid), http.StatusCreated, "")
		c := other.Client(t)
		start(t, c, "ForgotPassword")
		vid, code = emailCode(t, c, smtp, "fp@example.com", "ForgotPassword")
		expect(t, verifyCodeReq(t, c, "email", "fp@example.com", vid, code), http.StatusOK, "")
		expect(t, identify(t, c, vid), http.StatusUnprocessableEntity, "session.not_supported_for_forgot_password")
	})
}

func TestEmailUniquenessAndProfile(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	srv := apitest.NewServer(t, apitest.Options{SMTP: smtp})
	register(t, srv, "alice", goodPassword)
	register(t, srv, "bob", goodPassword)
	bind := func(name, address string, status int, code string) {
		c := srv.Client(t)
		start(t, c, "SignIn")
		expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, name, goodPassword))), http.StatusNoContent, "")
		vid, got := emailCode(t, c, smtp, address, "SignIn")
		expect(t, postProfile(t, c, map[string]any{"type": "email", "verificationId": vid}), http.StatusBadRequest, "session.verification_failed")
		expect(t, verifyCodeReq(t, c, "email", address, vid, got), http.StatusOK, "")
		expect(t, postProfile(t, c, map[string]any{"type": "email", "verificationId": vid}), status, code)
		if status == http.StatusNoContent {
			expect(t, submit(t, c), http.StatusOK, "")
		}
	}
	bind("alice", "alice@example.com", http.StatusNoContent, "")
	bind("alice", "alice2@example.com", http.StatusUnprocessableEntity, "user.email_exists_in_profile")
	bind("bob", "ALICE@example.com", http.StatusUnprocessableEntity, "user.email_already_in_use")
	if got := userEvents(t, srv, "1"); !equal(got, []string{"user.registered", "user.profile.updated"}) {
		t.Fatalf("alice events = %v", got)
	}
}

// No event carries a code in clear, and none of the codes delivered appears
// anywhere in the stream.
func TestNoCodeInClearInTheLog(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	srv := apitest.NewServer(t, apitest.Options{Settings: emailSettings(), SMTP: smtp})
	var codes []string
	for i := 0; i < 5; i++ {
		c := srv.Client(t)
		start(t, c, "Register")
		vid, code := emailCode(t, c, smtp, "scan@example.com", "Register")
		codes = append(codes, code)
		expect(t, verifyCodeReq(t, c, "email", "scan@example.com", vid, code), http.StatusOK, "")
	}
	srv.WaitEvent(t, "interaction.code.sent", 5)
	ctx := context.Background()
	stream, err := srv.Store.JetStream().Stream(ctx, eventstore.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := stream.Info(ctx)
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		msg, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		raw := string(msg.Data)
		for k, v := range msg.Header {
			raw += k + strings.Join(v, ",")
		}
		for _, code := range codes {
			if strings.Contains(raw, code) {
				t.Fatalf("event %d (%s) contains code %s: %s", seq, msg.Header.Get("Ev-Type"), code, raw)
			}
		}
	}
	if logs := srv.Logs(); strings.Contains(logs, codes[0]) {
		t.Fatalf("a log line contains a code: %s", logs)
	}
}

func TestDeliveryFaults(t *testing.T) {
	sie := emailSettings()
	sie.SignUp = settings.SignUp{Identifiers: []string{"phone"}, Verify: true}

	t.Run("worker stopped before the send delivers once after restart", func(t *testing.T) {
		sms := &smsReceiver{}
		hook := httptest.NewServer(sms)
		defer hook.Close()
		srv := apitest.NewServer(t, apitest.Options{Settings: sie, SMSURL: hook.URL, ManualWorkers: true})
		c := srv.Client(t)
		start(t, c, "Register")
		verificationID(t, sendCode(t, c, "phone", "61412345678", "Register"))
		time.Sleep(100 * time.Millisecond)
		if sms.requests != 0 {
			t.Fatal("sent while the worker was stopped")
		}
		srv.StartWorkers(t)
		sms.wait(t, 1)
		srv.WaitEvent(t, "interaction.code.sent", 1)
		srv.StopWorkers()
		srv.StartWorkers(t)
		time.Sleep(200 * time.Millisecond)
		if len(sms.wait(t, 1)) != 1 || sms.requests != 1 {
			t.Fatalf("delivered %d times", sms.requests)
		}
	})
	t.Run("a connector failing twice is retried", func(t *testing.T) {
		sms := &smsReceiver{fail: 2}
		hook := httptest.NewServer(sms)
		defer hook.Close()
		srv := apitest.NewServer(t, apitest.Options{Settings: sie, SMSURL: hook.URL})
		c := srv.Client(t)
		start(t, c, "Register")
		verificationID(t, sendCode(t, c, "phone", "61412345678", "Register"))
		sms.wait(t, 1)
		srv.WaitEvent(t, "interaction.code.sent", 1)
		if sms.requests != 3 {
			t.Fatalf("requests = %d, want 3", sms.requests)
		}
	})
	t.Run("a connector always failing ends in delivery_failed and the poison queue", func(t *testing.T) {
		sms := &smsReceiver{fail: -1}
		hook := httptest.NewServer(sms)
		defer hook.Close()
		srv := apitest.NewServer(t, apitest.Options{Settings: sie, SMSURL: hook.URL})
		c := srv.Client(t)
		start(t, c, "Register")
		verificationID(t, sendCode(t, c, "phone", "61412345678", "Register"))
		srv.WaitEvent(t, "interaction.code.delivery_failed", 1)
		srv.WaitPoison(t, 1)
		sms.mu.Lock()
		sms.fail = 0
		sms.mu.Unlock()
		vid := verificationID(t, sendCode(t, c, "phone", "61412345678", "Register"))
		msg := sms.wait(t, 1)[0]
		expect(t, verifyCodeReq(t, c, "phone", "61412345678", vid, msg["code"]), http.StatusOK, "")
	})
}

// Addresses no mail server takes, and phones longer than E.164 allows, are
// refused with nothing written but the refusal: no code request, nothing
// queued for delivery, no ERROR line from a worker that could not send.
func TestSendCodeRefusesUndeliverableAddresses(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	srv := apitest.NewServer(t, apitest.Options{Settings: emailSettings(), SMTP: smtp})
	c := srv.Client(t)
	start(t, c, "SignIn")
	before := len(srv.Log(t))
	for _, id := range []map[string]string{
		{"type": "email", "value": ">@x.io"},
		{"type": "email", "value": "ann\x00@example.com"},
		{"type": "email", "value": "Ann <ann@example.com>"},
		{"type": "email", "value": "ann@localhost"},
		{"type": "phone", "value": "1234567890123456"},
	} {
		r := c.Do(http.MethodPost, "/api/experience/verification/verification-code", map[string]any{"identifier": id, "interactionEvent": "SignIn"})
		expect(t, r, http.StatusBadRequest, "guard.invalid_input")
	}
	for _, ev := range srv.Log(t)[before:] {
		if ev != "interaction interaction.request.failed" {
			t.Fatalf("a refused send wrote %s; want only its interaction.request.failed", ev)
		}
	}
	time.Sleep(200 * time.Millisecond) // a queued send would have failed by now
	if strings.Contains(srv.Logs(), "level=ERROR") || smtp.Count() != 0 {
		t.Fatalf("a refused send reached delivery: %d mails, log:\n%s", smtp.Count(), srv.Logs())
	}
}
