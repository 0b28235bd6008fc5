package experience_test

import (
	"net/http"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
)

// The policy table of docs/experience.md, MFA policies, row by row: what a Register submit and
// the SignIn submit of a user without factors answer, and whether
// mfa-skipped is allowed.
func TestMFAPolicies(t *testing.T) {
	rows := []struct {
		policy            string
		register, signIn  string // error code, "" = 200
		registerSkippable bool
	}{
		{"Mandatory", "user.missing_mfa", "user.missing_mfa", false},
		{"PromptAtSignInAndSignUpMandatory", "user.missing_mfa", "user.missing_mfa", false},
		{"PromptOnlyAtSignInMandatory", "", "user.missing_mfa", false},
		{"UserControlled", "user.suggest_mfa", "user.suggest_mfa", true},
		{"PromptAtSignInAndSignUp", "user.suggest_mfa", "user.suggest_mfa", true},
		{"PromptOnlyAtSignIn", "", "user.suggest_mfa", true},
		{"NoPrompt", "", "", true},
	}
	store := apitest.NewStore(t)
	plain := apitest.NewServer(t, apitest.Options{Store: store})
	register(t, plain, "existing", goodPassword)
	for i, row := range rows {
		t.Run(row.policy, func(t *testing.T) {
			srv := apitest.NewServer(t, apitest.Options{Store: store, Settings: mfaSettings(row.policy)})
			c := srv.Client(t)
			start(t, c, "Register")
			name := "new" + string(rune('a'+i))
			expect(t, identify(t, c, verificationID(t, newIdentity(t, c, name, goodPassword))), http.StatusCreated, "")
			r := submit(t, c)
			if row.register == "" {
				expect(t, r, http.StatusOK, "")
			} else {
				expect(t, r, http.StatusUnprocessableEntity, row.register)
				if row.register == "user.missing_mfa" {
					data := r.JSON()["data"].(map[string]any)
					if _, skippable := data["skippable"]; skippable || len(data["availableFactors"].([]any)) != 2 {
						t.Fatalf("missing_mfa data = %v", data)
					}
				}
				if row.registerSkippable {
					expect(t, post(t, c, "/profile/mfa/mfa-skipped", nil), http.StatusNoContent, "")
					expect(t, submit(t, c), http.StatusOK, "")
				} else {
					expect(t, post(t, c, "/profile/mfa/mfa-skipped", nil), http.StatusUnprocessableEntity, "session.mfa.mfa_policy_not_user_controlled")
				}
			}
			c = identified(t, srv, "existing")
			if row.signIn == "" {
				expect(t, submit(t, c), http.StatusOK, "")
			} else {
				expect(t, submit(t, c), http.StatusUnprocessableEntity, row.signIn)
			}
		})
	}
}

// Under a mandatory policy a bound TOTP alone still needs backup codes, and
// a skipped suggestion is remembered.
func TestMFABindingRules(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{Settings: mfaSettings("Mandatory")})
	register(t, apitest.NewServer(t, apitest.Options{Store: srv.Store}), "alice", goodPassword)
	c := identified(t, srv, "alice")

	gen := post(t, c, "/verification/backup-code/generate", nil)
	expect(t, gen, http.StatusOK, "")
	bvid := gen.JSON()["verificationId"].(string)
	expect(t, post(t, c, "/profile/mfa", map[string]any{"type": "BackupCode", "verificationId": bvid}), http.StatusUnprocessableEntity, "session.mfa.backup_code_can_not_be_alone")

	secret := post(t, c, "/verification/totp/secret", nil)
	tvid := secret.JSON()["verificationId"].(string)
	expect(t, post(t, c, "/profile/mfa", map[string]any{"type": "Totp", "verificationId": tvid}), http.StatusBadRequest, "session.verification_failed")
	expect(t, post(t, c, "/verification/totp/verify", map[string]any{"verificationId": tvid, "code": "000000"}), http.StatusBadRequest, "session.mfa.invalid_totp_code")
	expect(t, post(t, c, "/profile/mfa", map[string]any{"type": "Totp", "verificationId": "unknownverification1"}), http.StatusNotFound, "session.verification_session_not_found")
	expect(t, post(t, c, "/profile/mfa", map[string]any{"type": "Email", "verificationId": tvid}), http.StatusBadRequest, "guard.invalid_input")
	expect(t, post(t, c, "/profile/mfa", map[string]any{"type": "EmailVerificationCode", "verificationId": tvid}), http.StatusBadRequest, "session.mfa.mfa_factor_not_enabled")

	bindTotp(t, srv, c)
	expect(t, post(t, c, "/profile/mfa", map[string]any{"type": "BackupCode", "verificationId": bvid}), http.StatusNoContent, "")
	expect(t, submit(t, c), http.StatusOK, "")

	// A second TOTP is refused.
	c = identified(t, srv, "alice")
	expect(t, post(t, c, "/verification/backup-code/verify", map[string]any{"code": "zzzzzzzzzz"}), http.StatusBadRequest, "session.mfa.invalid_backup_code")
	s2 := post(t, c, "/verification/totp/secret", nil)
	expect(t, post(t, c, "/profile/mfa", map[string]any{"type": "Totp", "verificationId": s2.JSON()["verificationId"]}), http.StatusForbidden, "session.mfa.require_mfa_verification")
	expect(t, post(t, c, "/profile/mfa", map[string]any{"type": "Totp", "verificationId": s2.JSON()["verificationId"]}), http.StatusForbidden, "session.mfa.require_mfa_verification")
	expect(t, c.Do(http.MethodPost, "/api/experience/profile/mfa/mfa-suggestion-skipped", nil), http.StatusForbidden, "session.mfa.require_mfa_verification")

	fp := srv.Client(t)
	start(t, fp, "ForgotPassword")
	expect(t, post(t, fp, "/profile/mfa", map[string]any{"type": "Totp", "verificationId": tvid}), http.StatusBadRequest, "session.not_supported_for_forgot_password")
}
