package onelogin_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Five wrong codes reject a registration or verification; a closed window
// refuses even the right code.
func TestMFACodeAttemptsAndExpiry(t *testing.T) {
	e := mfaNewCodeEnv(t)
	uid := e.userWithPhone("ann", "61412345670")
	reg := e.register(uid, mfaSMSID, nil)
	code := e.sms.wait(t, 1)["code"]
	for i := 1; i <= 5; i++ {
		want := "pending"
		if i == 5 {
			want = "rejected"
		}
		if st := e.confirm(uid, reg.ID, other(code)); st.Status != want {
			t.Fatalf("wrong code %d: %+v", i, st)
		}
	}
	authExpect(t, e.call(http.MethodPut, uid, "/registrations/"+reg.ID, map[string]any{"otp": code}), http.StatusForbidden, mfaForbidden)

	// Expiry (default 120 s) with the injected clock.
	e.clock.Advance(30 * time.Second)
	reg = e.register(uid, mfaSMSID, nil)
	code = e.sms.wait(t, 2)["code"]
	e.clock.Advance(120 * time.Second)
	authExpect(t, e.call(http.MethodPut, uid, "/registrations/"+reg.ID, map[string]any{"otp": code}), http.StatusForbidden, mfaForbidden)
	var st sdkStatus
	mfaStrict(t, e.call(http.MethodGet, uid, "/registrations/"+reg.ID, nil), http.StatusOK, &st)
	if st.Status != "rejected" {
		t.Fatalf("expired registration: %+v", st)
	}

	reg = e.register(uid, mfaSMSID, map[string]any{"verified": true})
	e.clock.Advance(30 * time.Second)
	v := e.verification(uid, reg.DeviceID)
	code = e.sms.wait(t, 3)["code"]
	for i := 1; i <= 5; i++ {
		if out := e.verify(uid, v.ID, other(code)); out.Status == "accepted" || out.Code != 401 || (i == 5) != (out.Status == "rejected") {
			t.Fatalf("wrong code %d: %+v", i, out)
		}
	}
	authExpect(t, e.call(http.MethodPut, uid, "/verifications/"+v.ID, map[string]any{"otp": code}), http.StatusForbidden, mfaForbidden)

	e.clock.Advance(30 * time.Second)
	v = e.verification(uid, reg.DeviceID)
	code = e.sms.wait(t, 4)["code"]
	e.clock.Advance(120 * time.Second)
	authExpect(t, e.call(http.MethodPut, uid, "/verifications/"+v.ID, map[string]any{"otp": code}), http.StatusForbidden, mfaForbidden)
	mfaStrict(t, e.call(http.MethodGet, uid, "/verifications/"+v.ID, nil), http.StatusOK, &st)
	if st.Status != "rejected" {
		t.Fatalf("expired verification: %+v", st)
	}
}

// Code sends are throttled (docs/onelogin-api.md, Code sends and throttling):
// per user and device one send per 30 s and 5 per 15 min, else
// 429 with Retry-After; each channel counts apart.
func TestMFACodeThrottling(t *testing.T) {
	e := mfaNewCodeEnv(t)
	uid := e.userWithPhone("tom", "61412345671")
	tooMany := func(retryAfter string) {
		t.Helper()
		res := e.call(http.MethodPost, uid, "/registrations", map[string]any{"factor_id": mfaSMSID, "display_name": "x"})
		if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != retryAfter ||
			!strings.HasPrefix(string(res.body), `{"statusCode":429,"name":"TooManyRequests","message":"Too many codes sent to this device`) {
			t.Fatalf("want 429 after %s s: %d %v %s", retryAfter, res.status, res.header, res.body)
		}
	}
	// Each send is awaited before the clock moves on, so the worker never
	// finds a code expired by the test's clock.
	e.register(uid, mfaSMSID, nil)
	e.sms.wait(t, 1)
	tooMany("30")
	e.clock.Advance(10 * time.Second)
	tooMany("20")
	e.register(uid, mfaEmailID, nil) // another channel
	e.smtp.WaitMail(t, 1)
	for i := 0; i < 4; i++ {
		e.clock.Advance(30 * time.Second)
		e.register(uid, mfaSMSID, nil)
		e.sms.wait(t, 2+i)
	}
	// Sends at 0, 40, 70, 100, 130 s: the fifth in 15 min.
	e.clock.Advance(30 * time.Second)
	tooMany("740")
	e.clock.Advance(740 * time.Second)
	reg := e.register(uid, mfaSMSID, nil)
	e.sms.wait(t, 6)
	if n := len(e.events("mfa.send.counted")); n != 7 { // 6 SMS, 1 email
		t.Fatalf("%d sends counted, want 7", n)
	}
	// Verifications count on the same budget: sends at 40, 70, 100, 130
	// and 900 s fill the window until 940 s.
	e.confirm(uid, reg.ID, e.sms.wait(t, 6)["code"])
	res := e.call(http.MethodPost, uid, "/verifications", map[string]any{"device_id": reg.DeviceID})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "40" {
		t.Fatalf("verification: %d %v %s", res.status, res.header, res.body)
	}
}

// No code is in clear in any event: the code requests hold a keyed hash
// and the sealed code, the outbox only the send id.
func TestMFANoCodeInClearInTheLog(t *testing.T) {
	e := mfaNewCodeEnv(t)
	uid := e.userWithPhone("scan", "61412345672")
	var codes []string
	reg := e.register(uid, mfaSMSID, nil)
	codes = append(codes, e.sms.wait(t, 1)["code"])
	e.confirm(uid, reg.ID, codes[0])
	mail := e.register(uid, mfaEmailID, nil)
	codes = append(codes, e.smtp.WaitMail(t, 1)[0].Code())
	e.confirm(uid, mail.ID, codes[1])
	for i := 0; i < 3; i++ {
		e.clock.Advance(30 * time.Second)
		v := e.verification(uid, reg.DeviceID)
		codes = append(codes, e.sms.wait(t, 2+i)["code"])
		if out := e.verify(uid, v.ID, codes[len(codes)-1]); out.Status != "accepted" {
			t.Fatalf("verify: %+v", out)
		}
	}
	e.srv.WaitEvent(t, "mfa.code.sent", len(codes))
	all := e.events("")
	for _, ev := range all {
		for _, c := range codes {
			if strings.Contains(ev, c) {
				t.Fatalf("an event contains code %s: %s", c, ev)
			}
		}
	}
	if n := len(e.events("mfa.code.requested")); n != len(codes) {
		t.Fatalf("%d code requests, want %d", n, len(codes))
	}
	for _, c := range codes {
		if strings.Contains(e.srv.Logs(), c) {
			t.Fatalf("a log line contains code %s", c)
		}
	}
}
