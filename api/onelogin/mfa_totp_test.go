package onelogin_test

import (
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

var mfaUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// The Authenticator flow: enrol → confirm → list → challenge → verify → remove.
func TestMFAGoogleAuthenticatorFlow(t *testing.T) {
	e := mfaNewEnv(t)
	uid := e.user("kelly")
	var factors []sdkFactor
	mfaStrict(t, e.call(http.MethodGet, uid, "/factors", nil), http.StatusOK, &factors)
	if len(factors) != 1 || factors[0] != (sdkFactor{58957, "Authenticator", "Google Authenticator"}) {
		t.Fatalf("factors = %+v", factors)
	}

	reg, secret := e.enroll(uid)
	if !mfaUUID.MatchString(reg.ID) || reg.Status != "pending" || reg.UserID != strconv.FormatInt(uid, 10) ||
		reg.UserDisplayName != "My phone" || reg.TypeDisplayName != "Authenticator" || reg.AuthFactorName != "Google Authenticator" ||
		reg.ExpiresAt != "2026-11-23T10:05:00Z" || !reg.Default || len(secret) != 32 {
		t.Fatalf("registration = %+v", reg)
	}
	if _, err := strconv.ParseUint(reg.DeviceID, 10, 64); err != nil {
		t.Fatalf("device_id %q is not digits", reg.DeviceID)
	}
	var st sdkStatus
	mfaStrict(t, e.call(http.MethodGet, uid, "/registrations/"+reg.ID, nil), http.StatusOK, &st)
	if st != (sdkStatus{reg.ID, "pending", reg.DeviceID}) {
		t.Fatalf("GET registration = %+v", st)
	}
	mfaStrict(t, e.call(http.MethodPut, uid, "/registrations/"+reg.ID, map[string]any{"otp": "000000x"}), http.StatusOK, &st)
	if st.Status != "pending" {
		t.Fatalf("wrong code: %+v", st)
	}
	n, _ := strconv.Atoi(e.code(secret))
	mfaStrict(t, e.call(http.MethodPut, uid, "/registrations/"+reg.ID, map[string]any{"otp": n}), http.StatusOK, &st)
	if st != (sdkStatus{reg.ID, "accepted", reg.DeviceID}) {
		t.Fatalf("confirm = %+v", st)
	}
	authExpect(t, e.call(http.MethodPut, uid, "/registrations/"+reg.ID, map[string]any{"otp": n}), http.StatusForbidden, mfaForbidden)

	mfaStrict(t, e.call(http.MethodGet, uid, "/factors", nil), http.StatusOK, &factors)
	if len(factors) != 0 {
		t.Fatalf("factors after enrolment = %+v", factors)
	}
	var devices []sdkDevice
	mfaStrict(t, e.call(http.MethodGet, uid, "/devices", nil), http.StatusOK, &devices)
	if len(devices) != 1 || devices[0] != (sdkDevice{reg.DeviceID, "My phone", "Authenticator", "Google Authenticator", true}) {
		t.Fatalf("devices = %+v", devices)
	}

	v := e.verification(uid, reg.DeviceID)
	if !mfaUUID.MatchString(v.ID) || strconv.FormatInt(v.DeviceID, 10) != reg.DeviceID || v.Status != "pending" ||
		v.UserID != strconv.FormatInt(uid, 10) || v.ExpiresAt != "2026-11-23T10:02:00Z" || v.UserDisplayName != "My phone" {
		t.Fatalf("verification = %+v", v)
	}
	// The enrolment code's step is used: the same code does not verify.
	if out := e.verify(uid, v.ID, e.code(secret)); out.Status != "pending" || !out.Error || out.Code != 401 {
		t.Fatalf("replayed enrolment code: %+v", out)
	}
	e.clock.Advance(30 * time.Second)
	c2 := e.code(secret)
	var out sdkVerify
	mfaStrict(t, e.call(http.MethodPut, uid, "/verifications/"+v.ID, map[string]any{"otp": c2, "device_id": v.DeviceID}), http.StatusOK, &out)
	if out != (sdkVerify{v.ID, "accepted", reg.DeviceID, false, 200, "success", "Success"}) {
		t.Fatalf("verify = %+v", out)
	}
	mfaStrict(t, e.call(http.MethodGet, uid, "/verifications/"+v.ID, nil), http.StatusOK, &st)
	if st != (sdkStatus{v.ID, "accepted", reg.DeviceID}) {
		t.Fatalf("GET verification = %+v", st)
	}
	authExpect(t, e.call(http.MethodPut, uid, "/verifications/"+v.ID, map[string]any{"otp": c2}), http.StatusForbidden, mfaForbidden)
	// Replayed TOTP on a new verification: not accepted.
	v2 := e.verification(uid, reg.DeviceID)
	if out := e.verify(uid, v2.ID, c2); out.Status != "pending" || out.Message != "Failed authentication with this factor" {
		t.Fatalf("replayed code: %+v", out)
	}

	res := e.call(http.MethodDelete, uid, "/devices/"+reg.DeviceID, nil)
	if res.status != http.StatusNoContent || len(res.body) != 0 {
		t.Fatalf("delete: %d %q", res.status, res.body)
	}
	// The open verification of the removed device is cancelled.
	authExpect(t, e.call(http.MethodPut, uid, "/verifications/"+v2.ID, map[string]any{"otp": c2}), http.StatusForbidden, mfaForbidden)
	mfaStrict(t, e.call(http.MethodGet, uid, "/verifications/"+v2.ID, nil), http.StatusOK, &st)
	if st.Status != "rejected" {
		t.Fatalf("cancelled verification: %+v", st)
	}
	mfaStrict(t, e.call(http.MethodGet, uid, "/devices", nil), http.StatusOK, &devices)
	mfaStrict(t, e.call(http.MethodGet, uid, "/factors", nil), http.StatusOK, &factors)
	if len(devices) != 0 || len(factors) != 1 {
		t.Fatalf("after delete: devices %+v factors %+v", devices, factors)
	}
	authExpect(t, e.call(http.MethodDelete, uid, "/devices/"+reg.DeviceID, nil), http.StatusNotFound, mfaNotFound)
}

const (
	mfaForbidden    = `{"statusCode":403,"name":"ForbiddenAction","message":"You are not authorised to perform this action or access the resource"}`
	mfaNotFound     = `{"statusCode":404,"name":"NotFound","message":"The resource can't be found or the server has not found anything matching the Request-URI"}`
	mfaUserNotFound = `{"statusCode":404,"name":"NotFoundError","message":"The resource with the given id could not be found"}`
)

func mfaInvalid(params string) string {
	return `{"statusCode":422,"name":"ValidationError","message":"Validations failed","details":{"parameters":[` + params + `]}}`
}

func TestMFAFiveWrongCodesReject(t *testing.T) {
	e := mfaNewEnv(t)
	uid := e.user("kelly")
	reg, secret := e.enroll(uid)
	var st sdkStatus
	for i := 1; i <= 5; i++ {
		mfaStrict(t, e.call(http.MethodPut, uid, "/registrations/"+reg.ID, map[string]any{"otp": 1}), http.StatusOK, &st)
		if want := map[bool]string{true: "rejected", false: "pending"}[i == 5]; st.Status != want {
			t.Fatalf("registration wrong code %d: %+v", i, st)
		}
	}
	authExpect(t, e.call(http.MethodPut, uid, "/registrations/"+reg.ID, map[string]any{"otp": e.code(secret)}), http.StatusForbidden, mfaForbidden)

	device, secret := e.accept(uid)
	v := e.verification(uid, device)
	for i := 1; i <= 5; i++ {
		out := e.verify(uid, v.ID, "000000")
		if want := map[bool]string{true: "rejected", false: "pending"}[i == 5]; out.Status != want || !out.Error || out.Type != "Unauthorized" {
			t.Fatalf("verification wrong code %d: %+v", i, out)
		}
	}
	e.clock.Advance(30 * time.Second)
	authExpect(t, e.call(http.MethodPut, uid, "/verifications/"+v.ID, map[string]any{"otp": e.code(secret)}), http.StatusForbidden, mfaForbidden)
	mfaStrict(t, e.call(http.MethodGet, uid, "/verifications/"+v.ID, nil), http.StatusOK, &st)
	if st.Status != "rejected" {
		t.Fatalf("GET = %+v", st)
	}
}

func TestMFAExpiry(t *testing.T) {
	e := mfaNewEnv(t)
	uid := e.user("kelly")
	reg, secret := e.enroll(uid) // expires_in 300
	e.clock.Advance(300 * time.Second)
	var st sdkStatus
	mfaStrict(t, e.call(http.MethodGet, uid, "/registrations/"+reg.ID, nil), http.StatusOK, &st)
	if st.Status != "rejected" {
		t.Fatalf("expired registration: %+v", st)
	}
	authExpect(t, e.call(http.MethodPut, uid, "/registrations/"+reg.ID, map[string]any{"otp": e.code(secret)}), http.StatusForbidden, mfaForbidden)

	device, secret := e.accept(uid)
	v := e.verification(uid, device) // expires_in 120
	e.clock.Advance(119 * time.Second)
	mfaStrict(t, e.call(http.MethodGet, uid, "/verifications/"+v.ID, nil), http.StatusOK, &st)
	if st.Status != "pending" {
		t.Fatalf("open verification: %+v", st)
	}
	e.clock.Advance(time.Second)
	authExpect(t, e.call(http.MethodPut, uid, "/verifications/"+v.ID, map[string]any{"otp": e.code(secret)}), http.StatusForbidden, mfaForbidden)
	mfaStrict(t, e.call(http.MethodGet, uid, "/verifications/"+v.ID, nil), http.StatusOK, &st)
	if st.Status != "rejected" {
		t.Fatalf("expired verification: %+v", st)
	}
}

// Two verifications submitted with the same fresh code at once: one wins.
func TestMFAConcurrentIdenticalCodes(t *testing.T) {
	e := mfaNewEnv(t)
	uid := e.user("kelly")
	device, secret := e.accept(uid)
	e.clock.Advance(30 * time.Second)
	code := e.code(secret)
	ids := []string{e.verification(uid, device).ID, e.verification(uid, device).ID, e.verification(uid, device).ID}
	statuses := make([]string, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { statuses[i] = e.verify(uid, id, code).Status })
	}
	wg.Wait()
	accepted := 0
	for _, s := range statuses {
		if s == "accepted" {
			accepted++
		}
	}
	if accepted != 1 {
		t.Fatalf("statuses = %v, want exactly one accepted", statuses)
	}
}
