package experience_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/passkey/passkeytest"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/totp"
	"github.com/authtrail/authtrail/eventstore"
)

// The commit rule, as a property over both APIs. A scripted tour provokes
// every kind of refusal the suite knows (body guards, a taken username, a
// missing profile that keeps its staged part, wrong and right codes, a
// lockout, TOTP replay, the MFA guard at submit, a WebAuthn credential of
// another user, a forbidden switch, the MFA API's refusals) and the
// successes around them. It runs three times: undisturbed, with a conflict
// forced on the first commit of every command, and with conflicts forced on
// the first three. Each run must answer the same statuses and codes and
// write the same events in the same order, so a command decided again on
// fresh state reads its input once and commits once. Each server's audit
// (apitest.Audit) checks every refused request wrote only failure and kept
// events.
func TestCommitRuleOverBothAPIs(t *testing.T) {
	runs := []struct {
		name      string
		conflicts func(attempt int) bool
	}{
		{"undisturbed", nil},
		{"first attempt conflicts", func(attempt int) bool { return attempt == 1 }},
		{"three attempts conflict", func(attempt int) bool { return attempt <= 3 }},
	}
	var answers [][]apitest.Answer
	var logs [][]string
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			srv, smtp := tourServer(t, run.conflicts)
			tour(t, srv, smtp)
			srv.StopWorkers()
			answers = append(answers, withoutIDs(srv.Answers()))
			logs = append(logs, srv.Log(t))
		})
	}
	if t.Failed() || len(answers) < len(runs) { // a run failed, or runs only one (-run)
		return
	}
	for i := 1; i < len(runs); i++ {
		if !slices.Equal(answers[i], answers[0]) {
			t.Errorf("%s answered differently from %s:\n%s", runs[i].name, runs[0].name, firstDiff(answers[i], answers[0]))
		}
		if !slices.Equal(logs[i], logs[0]) {
			t.Errorf("%s wrote a different log from %s:\n%s", runs[i].name, runs[0].name, firstDiff(logs[i], logs[0]))
		}
	}
	refusals := 0
	for _, a := range answers[0] {
		if a.Status >= 400 {
			refusals++
		}
	}
	if refusals < 20 || len(logs[0]) < 100 {
		t.Fatalf("the tour provoked %d refusals and wrote %d events: too little to test", refusals, len(logs[0]))
	}
}

// withoutIDs masks the random ids in the answered paths.
func withoutIDs(answers []apitest.Answer) []apitest.Answer {
	uuid := regexp.MustCompile(`[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}`)
	for i := range answers {
		answers[i].Path = uuid.ReplaceAllString(answers[i].Path, "{id}")
	}
	return answers
}

func firstDiff[T comparable](got, want []T) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("at %d: %v, want %v", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(got), len(want))
}

// tourServer is the Experience API with email codes, TOTP, WebAuthn and
// backup codes, and the OneLogin-style API with an Authenticator factor.
func tourServer(t *testing.T, conflicts func(int) bool) (*apitest.Server, *apitest.SMTPServer) {
	sie := emailSettings()
	sie.SignIn.Methods = append(sie.SignIn.Methods, settings.SignInMethod{Identifier: "username", Password: true})
	sie.SignUp = settings.SignUp{Identifiers: []string{"username"}, Password: true}
	sie.MFA = settings.MFA{Factors: []string{"Totp", "WebAuthn", "BackupCode"}, Policy: "NoPrompt"}
	sie.SentinelPolicy = settings.SentinelPolicy{MaxAttempts: 3, LockoutDuration: 60}
	smtp := apitest.NewSMTPServer(t)
	sms := httptest.NewServer(&smsReceiver{})
	t.Cleanup(sms.Close)
	return apitest.NewServer(t, apitest.Options{
		Settings: sie, SMTP: smtp, SMSURL: sms.URL, StoreConfig: &eventstore.Config{ForceConflicts: conflicts},
		APIClients: []onelogin.Client{{ID: "admin", Secret: "admin-secret", Scope: onelogin.ScopeManageAll}},
		MFAFactors: []mfaapi.Factor{
			{ID: 1, Name: "Authenticator", AuthFactorName: "Google Authenticator", Kind: mfaapi.KindTotp},
			{ID: 2, Name: "OneLogin SMS", AuthFactorName: "SMS", Kind: mfaapi.KindSMS},
		},
	}), smtp
}

func tour(t *testing.T, srv *apitest.Server, smtp *apitest.SMTPServer) {
	// Registration: a bad body, a taken name, then a name whose identification
	// lacks nothing.
	register(t, srv, "alice", goodPassword)
	c := srv.Client(t)
	start(t, c, "Register")
	expect(t, newIdentity(t, c, "1bad", goodPassword), http.StatusBadRequest, "guard.invalid_input")
	expect(t, newIdentity(t, c, "alice", goodPassword), http.StatusUnprocessableEntity, "user.username_already_in_use")
	expect(t, c.Do(http.MethodPut, "/api/experience/interaction-event", map[string]any{"interactionEvent": "ForgotPassword"}),
		http.StatusBadRequest, "session.not_supported_for_forgot_password")
	expect(t, identify(t, c, verificationID(t, newIdentity(t, c, "bob", goodPassword))), http.StatusCreated, "")
	expect(t, submit(t, c), http.StatusOK, "")

	// An email registration whose identification lacks the username and the
	// password: the profile staged from the code record is kept.
	c = srv.Client(t)
	start(t, c, "Register")
	vid, code := emailCode(t, c, smtp, "carol@example.com", "Register")
	expect(t, verifyCodeReq(t, c, "email", "carol@example.com", vid, wrong(code)), http.StatusBadRequest, "verification_code.code_mismatch")
	expect(t, verifyCodeReq(t, c, "email", "carol@example.com", vid, code), http.StatusOK, "")
	expect(t, identify(t, c, vid), http.StatusUnprocessableEntity, "user.missing_profile")
	expect(t, postProfile(t, c, map[string]any{"type": "username", "value": "carol"}), http.StatusNoContent, "")
	expect(t, postProfile(t, c, map[string]any{"type": "password", "value": goodPassword}), http.StatusNoContent, "")
	expect(t, identify(t, c, ""), http.StatusCreated, "")
	expect(t, submit(t, c), http.StatusOK, "")

	// Alice binds a TOTP, backup codes and a WebAuthn credential.
	key := passkeytest.NewAuthenticator()
	c = srv.Client(t)
	start(t, c, "SignIn")
	expect(t, verifyPassword(t, c, "alice", "Wrong-passw0rd"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, "alice", goodPassword))), http.StatusNoContent, "")
	secret := bindTotp(t, srv, c)
	backup := bindBackupCodes(t, c)
	bindWebAuthn(t, c, key)
	expect(t, submit(t, c), http.StatusOK, "")

	// Alice signs in again: the MFA guard refuses the submit until a TOTP
	// code is verified; a wrong code, then a right one, then its replay.
	srv.Clock.Advance(time.Minute)
	c = identified(t, srv, "alice")
	expect(t, submit(t, c), http.StatusForbidden, "session.mfa.require_mfa_verification")
	expect(t, post(t, c, "/verification/totp/verify", map[string]any{"code": "000000"}), http.StatusBadRequest, "session.mfa.invalid_totp_code")
	expect(t, totpVerify(t, c, secret, srv), http.StatusOK, "")
	expect(t, submit(t, c), http.StatusOK, "")
	c = identified(t, srv, "alice")
	expect(t, totpVerify(t, c, secret, srv), http.StatusBadRequest, "session.mfa.invalid_totp_code")
	r, _, _ := webAuthnAssert(t, c, key, apitest.WebAuthnOrigin)
	expect(t, r, http.StatusOK, "")
	expect(t, submit(t, c), http.StatusOK, "")
	c = identified(t, srv, "alice")
	expect(t, post(t, c, "/verification/backup-code/verify", map[string]any{"code": "0000000000"}), http.StatusBadRequest, "session.mfa.invalid_backup_code")
	expect(t, post(t, c, "/verification/backup-code/verify", map[string]any{"code": backup[0]}), http.StatusOK, "")
	expect(t, submit(t, c), http.StatusOK, "")
	c = srv.Client(t)
	start(t, c, "SignIn")
	expect(t, submit(t, c), http.StatusNotFound, "session.identifier_not_found")

	// Bob binds alice's credential: the submit is refused.
	c = identified(t, srv, "bob")
	bindWebAuthn(t, c, key)
	expect(t, submit(t, c), http.StatusBadRequest, "session.mfa.webauthn_verification_failed")

	// Carol's lockout blocks even her right password.
	c = srv.Client(t)
	start(t, c, "SignIn")
	for range 2 {
		expect(t, verifyPassword(t, c, "carol", "Wrong-passw0rd"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	}
	expect(t, verifyPassword(t, c, "carol", "Wrong-passw0rd"), http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
	expect(t, verifyPassword(t, c, "carol", goodPassword), http.StatusBadRequest, "session.verification_blocked_too_many_attempts")

	tourOneLogin(t, srv)
}

// tourOneLogin: a token, a user created twice, an Authenticator enrolled
// with a wrong then a right code, a verification, and refused parameters.
func tourOneLogin(t *testing.T, srv *apitest.Server) {
	do := func(method, path, token string, body any) *apitest.Response {
		t.Helper()
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(string(data)))
		req.Header.Set("Content-Type", "application/json")
		if token == "" {
			req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("admin:admin-secret")))
		} else {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ = io.ReadAll(resp.Body)
		return &apitest.Response{Status: resp.StatusCode, Body: data}
	}
	status := func(r *apitest.Response, want int) map[string]any {
		t.Helper()
		if r.Status != want {
			t.Fatalf("got %d %s, want %d", r.Status, r.Body, want)
		}
		var m map[string]any
		_ = json.Unmarshal(r.Body, &m)
		return m
	}
	token := status(do(http.MethodPost, onelogin.TokenPath, "", map[string]string{"grant_type": "client_credentials"}), http.StatusOK)["access_token"].(string)
	dave := map[string]any{"username": "dave", "email": "dave@example.com", "phone": "+61412345678", "password": goodPassword, "password_confirmation": goodPassword}
	uid := strconv.FormatFloat(status(do(http.MethodPost, "/api/2/users", token, dave), http.StatusCreated)["id"].(float64), 'f', 0, 64)
	status(do(http.MethodPost, "/api/2/users", token, dave), http.StatusUnprocessableEntity)
	mfa := "/api/2/mfa/users/" + uid
	status(do(http.MethodPost, mfa+"/registrations", token, map[string]any{"factor_id": 1, "display_name": "Phone", "expires_in": 5}), http.StatusUnprocessableEntity)
	// Refused after the registration is decided: nothing of it may commit.
	status(do(http.MethodPost, mfa+"/registrations", token, map[string]any{"factor_id": 2, "display_name": "SMS", "custom_message": "no code here"}), http.StatusUnprocessableEntity)
	reg := status(do(http.MethodPost, mfa+"/registrations", token, map[string]any{"factor_id": 1, "display_name": "Phone"}), http.StatusCreated)
	totpURL, _ := url.Parse(reg["factor_data"].(map[string]any)["totp_url"].(string))
	secret := totpURL.Query().Get("secret")
	code, _ := totp.Code(secret, srv.Clock.Now())
	status(do(http.MethodPut, mfa+"/registrations/"+reg["id"].(string), token, map[string]any{"otp": "000000"}), http.StatusOK)
	status(do(http.MethodPut, mfa+"/registrations/"+reg["id"].(string), token, map[string]any{"otp": code}), http.StatusOK)
	srv.Clock.Advance(time.Minute)
	ver := status(do(http.MethodPost, mfa+"/verifications", token, map[string]any{"device_id": reg["device_id"]}), http.StatusCreated)
	code, _ = totp.Code(secret, srv.Clock.Now())
	status(do(http.MethodPut, mfa+"/verifications/"+ver["id"].(string), token, map[string]any{"otp": "000000"}), http.StatusOK)
	status(do(http.MethodPut, mfa+"/verifications/"+ver["id"].(string), token, map[string]any{"otp": code}), http.StatusOK)
	status(do(http.MethodPut, mfa+"/verifications/"+ver["id"].(string), token, map[string]any{"otp": code}), http.StatusForbidden)
	status(do(http.MethodGet, "/api/2/mfa/users/999/factors", token, nil), http.StatusNotFound)
}
