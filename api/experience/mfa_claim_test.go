package experience_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/passkey/passkeytest"
)

// Each MFA verify claims the factor's use on the user ahead of the
// interaction's verification (two single-subject appends, no atomic
// batch). The test server forces a conflict on the second append of every
// first attempt, after the claim committed, so each verify below is decided
// again, finds its own claim and writes the claim and the verification
// once each; a replay writes neither.
func TestMFAVerifiesClaimTheUseOnce(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{Settings: mfaSettings("NoPrompt")})
	register(t, srv, "alice", goodPassword)
	key := passkeytest.NewAuthenticator()
	c := identified(t, srv, "alice")
	secret := bindTotp(t, srv, c)
	bindWebAuthn(t, c, key)
	codes := bindBackupCodes(t, c)
	expect(t, submit(t, c), http.StatusOK, "")

	cases := []struct {
		name, use, verified string
		verify              func(c *apitest.Client) *apitest.Response
	}{
		{"totp", "user.mfa.totp_used", "interaction.totp.verified", func(c *apitest.Client) *apitest.Response {
			return totpVerify(t, c, secret, srv)
		}},
		{"backup code", "user.mfa.backup_code_used", "interaction.backup_code.verified", func(c *apitest.Client) *apitest.Response {
			return post(t, c, "/verification/backup-code/verify", map[string]any{"code": codes[0]})
		}},
		{"webauthn", "user.mfa.webauthn_used", "interaction.webauthn.authenticated", func(c *apitest.Client) *apitest.Response {
			r, _, _ := webAuthnAssert(t, c, key, apitest.WebAuthnOrigin)
			return r
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.Clock.Advance(30 * time.Second)
			c := identified(t, srv, "alice")
			before := userEvents(t, srv, "1")
			expect(t, tc.verify(c), http.StatusOK, "")
			user := userEvents(t, srv, "1")
			if got := apitest.Count(user, tc.use) - apitest.Count(before, tc.use); got != 1 || len(user) != len(before)+1 {
				t.Errorf("the verify wrote %v on the user, want one %s", user[len(before):], tc.use)
			}
			if got := interactionEvents(t, srv, c); apitest.Count(got, tc.verified) != 1 {
				t.Errorf("interaction holds %v, want one %s", got, tc.verified)
			}
			if tc.name == "webauthn" {
				return // a new assertion is a new use: its replay is the next test's
			}
			expect(t, tc.verify(c), http.StatusBadRequest, map[string]string{"totp": "session.mfa.invalid_totp_code",
				"backup code": "session.mfa.invalid_backup_code"}[tc.name])
			if after := userEvents(t, srv, "1"); !slices.Equal(after, user) {
				t.Errorf("the replay wrote %v on the user", after[len(user):])
			}
		})
	}
}
