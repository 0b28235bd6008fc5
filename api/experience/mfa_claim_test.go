package experience_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/passkey/passkeytest"
	"github.com/authtrail/authtrail/eventstore"
)

// Each MFA verify claims the factor's use on the user. A TOTP or backup
// code verify writes that claim alone, naming the interaction, which folds
// it from the user on every load and names it in its submit; a WebAuthn
// verify, whose challenge is consumed on the interaction, writes the
// interaction's verification after its claim. The test server forces a
// conflict on the last append of every first attempt (the claim, or the
// interaction's after it), so each verify below is decided again and
// writes the claim and the verification once each; a replay writes
// neither.
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
		name, use, verified, record string
		onUserAlone                 bool
		verify                      func(c *apitest.Client) *apitest.Response
	}{
		{"totp", "user.mfa.totp_used", "interaction.totp.verified", "Totp", true, func(c *apitest.Client) *apitest.Response {
			return totpVerify(t, c, secret, srv)
		}},
		{"backup code", "user.mfa.backup_code_used", "interaction.backup_code.verified", "BackupCode", true, func(c *apitest.Client) *apitest.Response {
			return post(t, c, "/verification/backup-code/verify", map[string]any{"code": codes[0]})
		}},
		{"webauthn", "user.mfa.webauthn_used", "interaction.webauthn.authenticated", "WebAuthn", false, func(c *apitest.Client) *apitest.Response {
			r, _, _ := webAuthnAssert(t, c, key, apitest.WebAuthnOrigin)
			return r
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.Clock.Advance(30 * time.Second)
			c := identified(t, srv, "alice")
			before, identifiedAt := userEvents(t, srv, "1"), interactionEvents(t, srv, c)
			expect(t, tc.verify(c), http.StatusOK, "")
			user := userEvents(t, srv, "1")
			if got := apitest.Count(user, tc.use) - apitest.Count(before, tc.use); got != 1 || len(user) != len(before)+1 {
				t.Errorf("the verify wrote %v on the user, want one %s", user[len(before):], tc.use)
			}
			want := 1
			if tc.onUserAlone {
				want = 0
				if got := interactionEvents(t, srv, c); !slices.Equal(got, identifiedAt) {
					t.Errorf("the verify wrote %v on the interaction, want nothing", got[len(identifiedAt):])
				}
			}
			if got := interactionEvents(t, srv, c); apitest.Count(got, tc.verified) != want {
				t.Errorf("interaction holds %v, want %d %s", got, want, tc.verified)
			}
			if tc.name != "webauthn" { // a new assertion is a new use
				expect(t, tc.verify(c), http.StatusBadRequest, map[string]string{"totp": "session.mfa.invalid_totp_code",
					"backup code": "session.mfa.invalid_backup_code"}[tc.name])
				if after := userEvents(t, srv, "1"); !slices.Equal(after, user) {
					t.Errorf("the replay wrote %v on the user", after[len(user):])
				}
			}
			if tc.onUserAlone { // the interaction reads as verified
				if recs := verificationRecords(t, c); !slices.Contains(recs, tc.record+" verified") {
					t.Errorf("GET /interaction shows %v, want a verified %s", recs, tc.record)
				}
			}
			// The submit writes itself alone, naming a verification folded
			// from the user, and nothing more on the user.
			submitted := len(interactionEvents(t, srv, c))
			expect(t, submit(t, c), http.StatusOK, "")
			got := interactionEvents(t, srv, c)
			if !slices.Equal(got[submitted:], []string{"interaction.submitted"}) {
				t.Errorf("the submit wrote %v, want the submit alone", got[submitted:])
			}
			if vs := submittedVerifications(t, srv, c); tc.onUserAlone && (len(vs) != 1 || vs[0].Type != tc.record) || !tc.onUserAlone && len(vs) != 0 {
				t.Errorf("the submit names %+v as folded from the user", vs)
			}
			if after := userEvents(t, srv, "1"); apitest.Count(after, tc.use) != apitest.Count(user, tc.use) {
				t.Errorf("the submit claimed again: %v", after[len(user):])
			}
		})
	}
}

// A verification recorded on the user names the interaction's start: a
// restarted interaction does not fold it, and the user must verify again.
// A verification of another interaction never counts either.
func TestUsesOnTheUserVerifyTheirOwnInteractionOnly(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{Settings: mfaSettings("NoPrompt")})
	c, secret := aliceBindingTotp(t, srv)
	codes := bindBackupCodes(t, c)
	expect(t, submit(t, c), http.StatusOK, "")

	srv.Clock.Advance(time.Minute)
	c = identified(t, srv, "alice")
	other := identified(t, srv, "alice")
	expect(t, totpVerify(t, c, secret, srv), http.StatusOK, "")
	expect(t, submit(t, other), http.StatusForbidden, "session.mfa.require_mfa_verification")

	start(t, c, "SignIn")
	expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, "alice", goodPassword))), http.StatusNoContent, "")
	expect(t, submit(t, c), http.StatusForbidden, "session.mfa.require_mfa_verification")
	expect(t, post(t, c, "/verification/backup-code/verify", map[string]any{"code": codes[0]}), http.StatusOK, "")
	expect(t, submit(t, c), http.StatusOK, "")
	if got := submittedVerifications(t, srv, c); len(got) != 1 {
		t.Errorf("the restarted interaction's submit names %v, want the backup code's verification alone", got)
	}
}

// A use recorded on the user lands in the interaction where it was
// decided: a TOTP secret created after a TOTP verify replaces the
// verification's record, one created before it is replaced by it (one
// record per type, the newest), on every later load.
func TestUsesOnTheUserKeepTheirPlaceAmongTheInteractionsRecords(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{Settings: mfaSettings("NoPrompt")})
	c, secret := aliceBindingTotp(t, srv)
	expect(t, submit(t, c), http.StatusOK, "")

	srv.Clock.Advance(time.Minute)
	c = identified(t, srv, "alice")
	expect(t, totpVerify(t, c, secret, srv), http.StatusOK, "")
	expect(t, post(t, c, "/verification/totp/secret", nil), http.StatusOK, "")
	if recs := verificationRecords(t, c); slices.Contains(recs, "Totp verified") || !slices.Contains(recs, "Totp unverified") {
		t.Errorf("a secret created after the verify: records %v, want the new secret's alone", recs)
	}
	expect(t, submit(t, c), http.StatusForbidden, "session.mfa.require_mfa_verification")

	srv.Clock.Advance(time.Minute)
	expect(t, totpVerify(t, c, secret, srv), http.StatusOK, "")
	if recs := verificationRecords(t, c); !slices.Contains(recs, "Totp verified") || slices.Contains(recs, "Totp unverified") {
		t.Errorf("a verify after the secret: records %v, want the verification alone", recs)
	}
	expect(t, submit(t, c), http.StatusOK, "")
}

// verificationRecords are GET /interaction's records, as "type verified"
// or "type unverified".
func verificationRecords(t *testing.T, c *apitest.Client) []string {
	t.Helper()
	var body struct {
		VerificationRecords []struct {
			Type     string `json:"type"`
			Verified bool   `json:"verified"`
		} `json:"verificationRecords"`
	}
	r := c.Do(http.MethodGet, "/api/experience/interaction", nil)
	expect(t, r, http.StatusOK, "")
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range body.VerificationRecords {
		out = append(out, map[bool]string{true: r.Type + " verified", false: r.Type + " unverified"}[r.Verified])
	}
	return out
}

// submittedVerifications are the verifications the interaction's submit
// names as folded from the user.
func submittedVerifications(t *testing.T, srv *apitest.Server, c *apitest.Client) []interaction.Verification {
	t.Helper()
	envs, _, err := srv.Store.Load(context.Background(), eventstore.MustSubject(interaction.AggregateType, c.InteractionID()))
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range slices.Backward(envs) {
		if env.Type == "interaction.submitted" {
			var e interaction.Submitted
			if err := json.Unmarshal(env.Data, &e); err != nil {
				t.Fatal(err)
			}
			return e.Verifications
		}
	}
	t.Fatal("no submit")
	return nil
}
