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

// Each MFA verify claims the factor's use on the user and writes that
// claim alone, naming the interaction, which folds it from the user on
// every load and names it in its submit. The test server forces a
// conflict on the last append of every first attempt (the claim), so each
// verify below is decided again and writes its claim once; a replay
// writes nothing.
func TestMFAVerifiesClaimTheUseOnce(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{Settings: mfaSettings("NoPrompt")})
	key := passkeytest.NewAuthenticator()
	c, secret := aliceBindingTotp(t, srv)
	bindWebAuthn(t, c, key)
	codes := bindBackupCodes(t, c)
	expect(t, submit(t, c), http.StatusOK, "")

	var assertion map[string]any // the last WebAuthn verify's body
	cases := []struct {
		name, use, record string
		verify, replay    func(c *apitest.Client) *apitest.Response
		replayCode        string
	}{
		{"totp", "user.mfa.totp_used", "Totp",
			func(c *apitest.Client) *apitest.Response { return totpVerify(t, c, secret, srv) },
			func(c *apitest.Client) *apitest.Response { return totpVerify(t, c, secret, srv) },
			"session.mfa.invalid_totp_code"},
		{"backup code", "user.mfa.backup_code_used", "BackupCode",
			func(c *apitest.Client) *apitest.Response {
				return post(t, c, "/verification/backup-code/verify", map[string]any{"code": codes[0]})
			},
			func(c *apitest.Client) *apitest.Response {
				return post(t, c, "/verification/backup-code/verify", map[string]any{"code": codes[0]})
			},
			"session.mfa.invalid_backup_code"},
		{"webauthn", "user.mfa.webauthn_used", "WebAuthn",
			func(c *apitest.Client) *apitest.Response {
				r, id, payload := webAuthnAssert(t, c, key, apitest.WebAuthnOrigin)
				assertion = map[string]any{"verificationId": id, "payload": payload}
				return r
			},
			func(c *apitest.Client) *apitest.Response {
				return post(t, c, "/verification/web-authn/authentication/verify", assertion)
			},
			"session.mfa.pending_info_not_found"},
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
			// WebAuthn's options step wrote the challenge; the verify nothing.
			got := slices.DeleteFunc(interactionEvents(t, srv, c), func(e string) bool { return e == "interaction.webauthn.challenged" })
			if !slices.Equal(got, identifiedAt) {
				t.Errorf("the verify wrote %v on the interaction, want nothing", got[len(identifiedAt):])
			}
			if recs := verificationRecords(t, c); !slices.Contains(recs, tc.record+" verified") {
				t.Errorf("GET /interaction shows %v, want a verified %s", recs, tc.record)
			}
			written := len(interactionEvents(t, srv, c))
			expect(t, tc.replay(c), http.StatusBadRequest, tc.replayCode)
			if after := userEvents(t, srv, "1"); !slices.Equal(after, user) {
				t.Errorf("the replay wrote %v on the user", after[len(user):])
			}
			if after := interactionEvents(t, srv, c); slices.Contains(after[written:], "interaction.webauthn.authenticated") {
				t.Errorf("the replay wrote %v on the interaction", after[written:])
			}
			// The submit writes itself alone, naming the verification folded
			// from the user, and nothing more on the user.
			submitted := len(interactionEvents(t, srv, c))
			expect(t, submit(t, c), http.StatusOK, "")
			if got := interactionEvents(t, srv, c); !slices.Equal(got[submitted:], []string{"interaction.submitted"}) {
				t.Errorf("the submit wrote %v, want the submit alone", got[submitted:])
			}
			if vs := submittedVerifications(t, srv, c); len(vs) != 1 || vs[0].Type != tc.record {
				t.Errorf("the submit names %+v as folded from the user, want one %s", vs, tc.record)
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
