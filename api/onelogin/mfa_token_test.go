package onelogin_test

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// A temporary token verifies once; reusable ones until expiry.
func TestMFATemporaryToken(t *testing.T) {
	e := mfaNewEnv(t)
	uid := e.user("kelly")
	device, _ := e.accept(uid)
	var tok sdkToken
	mfaStrict(t, e.call(http.MethodPost, uid, "/mfa_token", map[string]any{"expires_in": 300, "reusable": false}), http.StatusCreated, &tok)
	if !regexp.MustCompile(`^\d{8}$`).MatchString(tok.MFAToken) || tok.Reusable || tok.ExpiresAt != "2026-11-23T10:05:00Z" ||
		tok.DeviceID != "user_temp_otp_"+strconv.FormatInt(uid, 10) {
		t.Fatalf("token = %+v", tok)
	}
	v := e.verification(uid, device)
	if out := e.verify(uid, v.ID, tok.MFAToken); out.Status != "accepted" {
		t.Fatalf("first use: %+v", out)
	}
	if out := e.verify(uid, e.verification(uid, device).ID, tok.MFAToken); out.Status != "pending" {
		t.Fatalf("second use: %+v", out)
	}
	var devices []sdkDevice
	mfaStrict(t, e.call(http.MethodGet, uid, "/devices", nil), http.StatusOK, &devices)
	if len(devices) != 1 {
		t.Fatalf("the temporary device is listed: %+v", devices)
	}

	// Reusable, default lifetime (72 h), sent by a manage_users credential.
	users := e.tokenFor("users", "users-secret")
	mfaStrict(t, e.callAs(users, http.MethodPost, uid, "/mfa_token", map[string]any{"reusable": true}), http.StatusCreated, &tok)
	if !tok.Reusable || tok.ExpiresAt != "2026-11-26T10:00:00Z" {
		t.Fatalf("reusable token = %+v", tok)
	}
	for range 2 {
		if out := e.verify(uid, e.verification(uid, device).ID, tok.MFAToken); out.Status != "accepted" {
			t.Fatalf("reusable use: %+v", out)
		}
	}
	e.clock.Advance(72 * time.Hour)
	e.token, users = e.tokenFor("admin", "admin-secret"), e.tokenFor("users", "users-secret")
	if out := e.verify(uid, e.verification(uid, device).ID, tok.MFAToken); out.Status != "pending" {
		t.Fatalf("expired token: %+v", out)
	}
	authExpect(t, e.call(http.MethodPost, uid, "/mfa_token", map[string]any{"expires_in": 259201}), http.StatusUnprocessableEntity, mfaInvalid(`"expires_in"`))
	authExpect(t, e.callAs(users, http.MethodGet, uid, "/devices", nil), http.StatusUnauthorized, authInsufficient)
}
