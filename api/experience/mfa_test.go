package experience_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/passkey/passkeytest"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/totp"
)

// A user binds TOTP, WebAuthn and backup codes, then signs in with each.
func TestMFABindAndSignInWithEachFactor(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{Settings: mfaSettings("UserControlled")})
	register(t, apitest.NewServer(t, apitest.Options{Store: srv.Store}), "alice", goodPassword)
	key := passkeytest.NewAuthenticator()

	c := identified(t, srv, "alice")
	expect(t, submit(t, c), http.StatusUnprocessableEntity, "user.suggest_mfa")
	secret := bindTotp(t, srv, c)
	expect(t, submit(t, c), http.StatusUnprocessableEntity, "session.mfa.backup_code_required")
	bindWebAuthn(t, c, key)
	codes := bindBackupCodes(t, c)
	expect(t, submit(t, c), http.StatusOK, "")
	if got := userEvents(t, srv, "1"); !equal(got, []string{"user.registered", "user.mfa.factor_added", "user.mfa.factor_added",
		"user.mfa.factor_added", "user.mfa_config.updated"}) {
		t.Fatalf("user events = %v", got)
	}

	// Each factor in turn.
	srv.Clock.Advance(30 * time.Second)
	c = identified(t, srv, "alice")
	r := submit(t, c)
	expect(t, r, http.StatusForbidden, "session.mfa.require_mfa_verification")
	available := r.JSON()["data"].(map[string]any)["availableFactors"].([]any)
	if len(available) != 3 || available[0] != "WebAuthn" || available[2] != "BackupCode" {
		t.Fatalf("availableFactors = %v", available)
	}
	expect(t, totpVerify(t, c, secret, srv), http.StatusOK, "")
	expect(t, submit(t, c), http.StatusOK, "")

	c = identified(t, srv, "alice")
	resp, _, _ := webAuthnAssert(t, c, key, apitest.WebAuthnOrigin)
	expect(t, resp, http.StatusOK, "")
	expect(t, submit(t, c), http.StatusOK, "")

	c = identified(t, srv, "alice")
	expect(t, post(t, c, "/verification/backup-code/verify", map[string]any{"code": codes[0]}), http.StatusOK, "")
	expect(t, submit(t, c), http.StatusOK, "")

	list := srv.Devices(t, "1")
	if len(list) != 3 {
		t.Fatalf("devices = %+v", list)
	}
	for _, d := range list {
		if d.LastUsedAt == nil || d.ID == "" || d.CreatedAt.IsZero() {
			t.Fatalf("device without last use: %+v", d)
		}
	}

	c = identified(t, srv, "alice")
	expect(t, post(t, c, "/verification/backup-code/verify", map[string]any{"code": codes[0]}), http.StatusBadRequest, "session.mfa.invalid_backup_code")
	expect(t, post(t, c, "/profile", map[string]any{"type": "extraProfile", "values": map[string]any{"name": "A"}}), http.StatusForbidden, "session.mfa.require_mfa_verification")
	expect(t, post(t, c, "/profile/mfa/mfa-skipped", nil), http.StatusForbidden, "session.mfa.require_mfa_verification")
}

func TestTotpReplayAndSteps(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{Settings: mfaSettings("NoPrompt")})
	c, secret := aliceBindingTotp(t, srv)
	expect(t, submit(t, c), http.StatusOK, "")

	// The binding's step does not count as used: it is a new-bind check.
	srv.Clock.Advance(30 * time.Second)
	c = identified(t, srv, "alice")
	expect(t, totpVerify(t, c, secret, srv), http.StatusOK, "")
	expect(t, totpVerify(t, c, secret, srv), http.StatusBadRequest, "session.mfa.invalid_totp_code")

	// The previous step's code is within ±1 but older than the last used step.
	prev, _ := totp.Code(secret, srv.Clock.Now().Add(-30*time.Second))
	expect(t, post(t, c, "/verification/totp/verify", map[string]any{"code": prev}), http.StatusBadRequest, "session.mfa.invalid_totp_code")
	// The next step's code is accepted once; two steps ahead never.
	next, _ := totp.Code(secret, srv.Clock.Now().Add(30*time.Second))
	far, _ := totp.Code(secret, srv.Clock.Now().Add(60*time.Second))
	expect(t, post(t, c, "/verification/totp/verify", map[string]any{"code": far}), http.StatusBadRequest, "session.mfa.invalid_totp_code")
	expect(t, post(t, c, "/verification/totp/verify", map[string]any{"code": next}), http.StatusOK, "")

	// The same code in two concurrent requests: one 200, one 400.
	srv.Clock.Advance(90 * time.Second)
	a, b := identified(t, srv, "alice"), identified(t, srv, "alice")
	code, _ := totp.Code(secret, srv.Clock.Now())
	clients := []*apitest.Client{a, b}
	got := race(2, func(i int) *apitest.Response {
		return post(t, clients[i], "/verification/totp/verify", map[string]any{"code": code})
	})
	if !equal(got, []string{"200 ", "400 session.mfa.invalid_totp_code"}) {
		t.Fatalf("concurrent TOTP = %v", got)
	}
}

func TestBackupCodeConcurrencyAndLockouts(t *testing.T) {
	sie := mfaSettings("NoPrompt")
	sie.SentinelPolicy = settings.SentinelPolicy{MaxAttempts: 3, LockoutDuration: 60}
	srv := apitest.NewServer(t, apitest.Options{Settings: sie})
	c, secret := aliceBindingTotp(t, srv)
	codes := bindBackupCodes(t, c)
	expect(t, submit(t, c), http.StatusOK, "")

	a, b := identified(t, srv, "alice"), identified(t, srv, "alice")
	clients := []*apitest.Client{a, b}
	got := race(2, func(i int) *apitest.Response {
		return post(t, clients[i], "/verification/backup-code/verify", map[string]any{"code": codes[1]})
	})
	if !equal(got, []string{"200 ", "400 session.mfa.invalid_backup_code"}) {
		t.Fatalf("concurrent backup code = %v", got)
	}

	// Three wrong TOTP codes lock TOTP (its own pool), even the right code;
	// a backup code still works.
	srv.Clock.Advance(30 * time.Second)
	c = identified(t, srv, "alice")
	expect(t, post(t, c, "/verification/totp/verify", map[string]any{"code": "000000"}), http.StatusBadRequest, "session.mfa.invalid_totp_code")
	expect(t, post(t, c, "/verification/totp/verify", map[string]any{"code": "000000"}), http.StatusBadRequest, "session.mfa.invalid_totp_code")
	expect(t, post(t, c, "/verification/totp/verify", map[string]any{"code": "000000"}), http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
	expect(t, totpVerify(t, c, secret, srv), http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
	expect(t, post(t, c, "/verification/backup-code/verify", map[string]any{"code": codes[2]}), http.StatusOK, "")
	expect(t, submit(t, c), http.StatusOK, "")

	// Backup codes have their own pool too; the race's loser counted one failure.
	c = identified(t, srv, "alice")
	expect(t, post(t, c, "/verification/backup-code/verify", map[string]any{"code": "0000000000"}), http.StatusBadRequest, "session.mfa.invalid_backup_code")
	expect(t, post(t, c, "/verification/backup-code/verify", map[string]any{"code": "0000000000"}), http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
	expect(t, post(t, c, "/verification/backup-code/verify", map[string]any{"code": codes[3]}), http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
}
