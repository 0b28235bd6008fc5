package onelogin_test

import (
	"net/http"
	"testing"
	"time"
)

func TestMFAAuthErrors(t *testing.T) {
	e := mfaNewEnv(t)
	uid := e.user("kelly")
	reader := e.tokenFor("reader", "reader-secret")
	for _, path := range []string{"/factors", "/devices"} {
		authExpect(t, e.callAs(reader, http.MethodGet, uid, path, nil), http.StatusUnauthorized, authInsufficient)
		authExpect(t, e.callAs("nonsense", http.MethodGet, uid, path, nil), http.StatusUnauthorized, authInvalidCredentials)
	}
	authExpect(t, e.callAs(reader, http.MethodPost, uid, "/mfa_token", "{}"), http.StatusUnauthorized, authInsufficient)
	e.clock.Advance(10 * time.Hour)
	authExpect(t, e.call(http.MethodGet, uid, "/devices", nil), http.StatusUnauthorized, authInvalidCredentials)
}

func TestMFANotFound(t *testing.T) {
	e := mfaNewEnv(t)
	alice, bob := e.user("alice"), e.user("bob")
	for _, path := range []string{"/factors", "/devices"} {
		authExpect(t, e.call(http.MethodGet, 99, path, nil), http.StatusNotFound, mfaUserNotFound)
	}
	authExpect(t, e.call(http.MethodPost, 99, "/registrations", map[string]any{"factor_id": 58957, "display_name": "x"}), http.StatusNotFound, mfaUserNotFound)
	device, _ := e.accept(alice)
	reg, _ := e.enroll(bob)
	v := e.verification(alice, device)
	unknown := "6f1c2b0e-1d2a-4c3b-8a4d-5e6f7a8b9c0d"
	checks := []struct {
		uid          int64
		method, path string
	}{
		{alice, http.MethodGet, "/registrations/" + unknown}, {alice, http.MethodPut, "/registrations/" + unknown},
		{alice, http.MethodGet, "/registrations/not-a-uuid"}, {alice, http.MethodGet, "/verifications/" + unknown},
		{alice, http.MethodPut, "/verifications/" + unknown}, {alice, http.MethodDelete, "/devices/12345"},
		{alice, http.MethodGet, "/registrations/" + reg.ID}, {alice, http.MethodPut, "/registrations/" + reg.ID},
		{bob, http.MethodGet, "/verifications/" + v.ID}, {bob, http.MethodPut, "/verifications/" + v.ID},
		{bob, http.MethodDelete, "/devices/" + device},
	}
	for _, c := range checks {
		authExpect(t, e.call(c.method, c.uid, c.path, map[string]any{"otp": "123456"}), http.StatusNotFound, mfaNotFound)
	}
	authExpect(t, e.call(http.MethodPost, bob, "/verifications", map[string]any{"device_id": device}), http.StatusNotFound, mfaNotFound)
}

func TestMFAValidation(t *testing.T) {
	e := mfaNewEnv(t)
	uid := e.user("kelly")
	for _, c := range []struct {
		body   any
		params string
	}{
		{map[string]any{"display_name": "x"}, `"factor_id"`},
		{map[string]any{"factor_id": 58957}, `"display_name"`},
		{map[string]any{"factor_id": 58957, "display_name": "x", "expires_in": "119"}, `"expires_in"`},
		{map[string]any{"factor_id": 58957, "display_name": "x", "expires_in": 901}, `"expires_in"`},
		{map[string]any{"factor_id": 58957, "display_name": "x", "verified": true}, `"verified"`},
		{map[string]any{"factor_id": 58959, "display_name": "x"}, `"factor_id"`}, // SMS: the user has no phone
		{map[string]any{"factor_id": 1, "display_name": "x"}, `"factor_id"`},
		{map[string]any{}, `"factor_id","display_name"`},
	} {
		authExpect(t, e.call(http.MethodPost, uid, "/registrations", c.body), http.StatusUnprocessableEntity, mfaInvalid(c.params))
	}
	authExpect(t, e.call(http.MethodPost, uid, "/registrations", "{not json"), http.StatusBadRequest,
		`{"statusCode":400,"name":"BadRequestError","message":"The request could not be understood by the server due to malformed syntax"}`)
	device, _ := e.accept(uid)
	// One TOTP per user.
	authExpect(t, e.call(http.MethodPost, uid, "/registrations", map[string]any{"factor_id": "58957", "display_name": "x"}),
		http.StatusUnprocessableEntity, mfaInvalid(`"factor_id"`))
	for _, body := range []map[string]any{{"device_id": device, "expires_in": 901}, {"device_id": device, "expires_in": 119}} {
		authExpect(t, e.call(http.MethodPost, uid, "/verifications", body), http.StatusUnprocessableEntity, mfaInvalid(`"expires_in"`))
	}
	authExpect(t, e.call(http.MethodPost, uid, "/verifications", map[string]any{}), http.StatusUnprocessableEntity, mfaInvalid(`"device_id"`))
	// A string device id and a string expires_in are accepted.
	var v sdkVerification
	mfaStrict(t, e.call(http.MethodPost, uid, "/verifications", map[string]any{"device_id": device, "expires_in": "900"}), http.StatusCreated, &v)
	authExpect(t, e.call(http.MethodPut, uid, "/verifications/"+v.ID, map[string]any{}), http.StatusUnprocessableEntity, mfaInvalid(`"otp"`))
	authExpect(t, e.call(http.MethodPut, uid, "/verifications/"+v.ID, map[string]any{"otp": "123456", "device_id": 1}),
		http.StatusUnprocessableEntity, mfaInvalid(`"device_id"`))
}
