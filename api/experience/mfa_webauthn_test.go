package experience_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/passkey"
	"github.com/authtrail/authtrail/domain/passkey/passkeytest"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

func TestWebAuthnCeremonies(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{Settings: mfaSettings("NoPrompt")})
	register(t, srv, "alice", goodPassword)
	key := passkeytest.NewAuthenticator()
	c := identified(t, srv, "alice")
	expect(t, post(t, c, "/verification/web-authn/authentication", nil), http.StatusBadRequest, "session.mfa.webauthn_verification_not_found")
	bindWebAuthn(t, c, key)
	expect(t, submit(t, c), http.StatusOK, "")

	t.Run("registration options", func(t *testing.T) {
		c := identified(t, srv, "alice")
		r := post(t, c, "/verification/web-authn/registration", nil)
		expect(t, r, http.StatusOK, "")
		opts := r.JSON()["registrationOptions"].(map[string]any)
		if opts["rp"].(map[string]any)["id"] != apitest.WebAuthnRPID || len(opts["excludeCredentials"].([]any)) != 1 ||
			opts["attestation"] != "none" || opts["timeout"] != float64(60000) {
			t.Fatalf("options = %v", opts)
		}
	})
	t.Run("wrong origin", func(t *testing.T) {
		c := identified(t, srv, "alice")
		r, _, _ := webAuthnAssert(t, c, key, "https://evil.example")
		expect(t, r, http.StatusBadRequest, "session.mfa.webauthn_verification_failed")
	})
	t.Run("wrong rpId", func(t *testing.T) {
		c := identified(t, srv, "alice")
		key.RPID = "evil.example"
		defer func() { key.RPID = "" }()
		r, _, _ := webAuthnAssert(t, c, key, apitest.WebAuthnOrigin)
		expect(t, r, http.StatusBadRequest, "session.mfa.webauthn_verification_failed")
	})
	t.Run("replayed challenge", func(t *testing.T) {
		c := identified(t, srv, "alice")
		r, vid, payload := webAuthnAssert(t, c, key, apitest.WebAuthnOrigin)
		expect(t, r, http.StatusOK, "")
		again := post(t, c, "/verification/web-authn/authentication/verify", map[string]any{"verificationId": vid, "payload": payload})
		expect(t, again, http.StatusBadRequest, "session.mfa.pending_info_not_found")
	})
	t.Run("unknown credential", func(t *testing.T) {
		c := identified(t, srv, "alice")
		r, _, _ := webAuthnAssert(t, c, passkeytest.NewAuthenticator(), apitest.WebAuthnOrigin)
		expect(t, r, http.StatusBadRequest, "session.mfa.webauthn_verification_failed")
	})
	t.Run("unknown record", func(t *testing.T) {
		c := identified(t, srv, "alice")
		expect(t, post(t, c, "/verification/web-authn/authentication/verify", map[string]any{"verificationId": "unknownverification1", "payload": json.RawMessage(`{}`)}),
			http.StatusNotFound, "session.verification_session_not_found")
		expect(t, post(t, c, "/verification/web-authn/registration/verify", map[string]any{"verificationId": "unknownverification1", "payload": json.RawMessage(`{}`)}),
			http.StatusNotFound, "session.verification_session_not_found")
	})
	t.Run("counter going backwards is a risk event", func(t *testing.T) {
		c := identified(t, srv, "alice")
		r, _, _ := webAuthnAssert(t, c, key, apitest.WebAuthnOrigin)
		expect(t, r, http.StatusOK, "")
		key.SetCounter(0)
		c = identified(t, srv, "alice")
		r, _, _ = webAuthnAssert(t, c, key, apitest.WebAuthnOrigin)
		expect(t, r, http.StatusOK, "")
		if got := last(userEvents(t, srv, "1")); got != "user.mfa.webauthn_counter_regressed" {
			t.Fatalf("last user event = %s", got)
		}
	})
	t.Run("not identified", func(t *testing.T) {
		c := srv.Client(t)
		start(t, c, "SignIn")
		for _, path := range []string{"/verification/web-authn/registration", "/verification/web-authn/authentication", "/verification/totp/secret", "/verification/backup-code/generate"} {
			expect(t, post(t, c, path, nil), http.StatusNotFound, "session.identifier_not_found")
		}
	})
}

// The interaction shows staged MFA without secrets.
func TestInteractionShowsStagedMFA(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{Settings: mfaSettings("NoPrompt")})
	c, secret := aliceBindingTotp(t, srv)
	bindBackupCodes(t, c)
	r := c.Do(http.MethodGet, "/api/experience/interaction", nil)
	expect(t, r, http.StatusOK, "")
	mfa := r.JSON()["mfa"].(map[string]any)
	if mfa["totp"].(map[string]any)["type"] != "Totp" || mfa["backupCode"] == nil || mfa["mfaEnabled"] != true {
		t.Fatalf("mfa = %v", mfa)
	}
	if body := string(r.Body); strings.Contains(body, secret) || strings.Contains(body, "box") || strings.Contains(body, "sum") {
		t.Fatalf("interaction leaks a secret: %s", body)
	}
}

func TestWebAuthnLockout(t *testing.T) {
	sie := mfaSettings("NoPrompt")
	sie.SentinelPolicy = settings.SentinelPolicy{MaxAttempts: 3, LockoutDuration: 60}
	srv := apitest.NewServer(t, apitest.Options{Settings: sie})
	register(t, srv, "alice", goodPassword)
	key := passkeytest.NewAuthenticator()
	c := identified(t, srv, "alice")
	bindWebAuthn(t, c, key)
	expect(t, submit(t, c), http.StatusOK, "")

	c = identified(t, srv, "alice")
	for i := 0; i < 2; i++ {
		r, _, _ := webAuthnAssert(t, c, key, "https://evil.example")
		expect(t, r, http.StatusBadRequest, "session.mfa.webauthn_verification_failed")
	}
	r, _, _ := webAuthnAssert(t, c, key, "https://evil.example")
	expect(t, r, http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
	r, _, _ = webAuthnAssert(t, c, key, apitest.WebAuthnOrigin)
	expect(t, r, http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
}

// A credential id belongs to one user: binding another user's credential
// fails at submit, and the refusal writes only its failure event: bob's
// interaction is not submitted, bob gets no factor, and the credential stays
// alice's.
func TestWebAuthnCredentialIsUnique(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{Settings: mfaSettings("NoPrompt")})
	register(t, srv, "alice", goodPassword)
	register(t, srv, "bob", goodPassword)
	key := passkeytest.NewAuthenticator()
	c := identified(t, srv, "alice")
	bindWebAuthn(t, c, key)
	expect(t, submit(t, c), http.StatusOK, "")
	claim := eventstore.MustSubject(user.ClaimAggregateType, user.ClaimID(user.KindWebAuthn, passkey.CredentialIDString(key.CredentialID())))
	if got := srv.EventTypes(t, claim); !equal(got, []string{"claim.identifier.claimed"}) {
		t.Fatalf("credential claim = %v", got)
	}

	c = identified(t, srv, "bob")
	bindWebAuthn(t, c, key)
	before := interactionEvents(t, srv, c)
	bobBefore := userEvents(t, srv, "2")
	expect(t, submit(t, c), http.StatusBadRequest, "session.mfa.webauthn_verification_failed")
	if got := interactionEvents(t, srv, c); !equal(got, append(before, "interaction.request.failed")) {
		t.Fatalf("bob's interaction after the refused submit = %v", got)
	}
	if got := userEvents(t, srv, "2"); !equal(got, bobBefore) {
		t.Fatalf("bob's user events %v, want %v unchanged", got, bobBefore)
	}
	if got := srv.EventTypes(t, claim); !equal(got, []string{"claim.identifier.claimed"}) {
		t.Fatalf("credential claim after bob's submit = %v", got)
	}
	if owner := lastClaimOwner(t, srv, claim); owner != "1" {
		t.Fatalf("credential owned by %q, want alice (1)", owner)
	}
}

// lastClaimOwner is the user id of a claim subject's last claim.
func lastClaimOwner(t *testing.T, srv *apitest.Server, subject string) string {
	t.Helper()
	env, err := srv.Store.Last(context.Background(), subject)
	if err != nil {
		t.Fatal(err)
	}
	var claimed user.IdentifierClaimed
	if err := json.Unmarshal(env.Data, &claimed); err != nil {
		t.Fatal(err)
	}
	return claimed.UserID
}
