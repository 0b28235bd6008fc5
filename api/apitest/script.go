package apitest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/totp"
)

// ScriptPassword is the password of the scripted user alice.
const ScriptPassword = "Secr3t!pass"

// ScriptSettings are the sign-in experience of the scripts: username and
// password, email codes, TOTP and backup codes at the user's choice.
func ScriptSettings() *settings.SignInExperience {
	sie := settings.Default()
	sie.SignIn.Methods = append(sie.SignIn.Methods, settings.SignInMethod{Identifier: "email", VerificationCode: true})
	sie.MFA = settings.MFA{Factors: []string{"Totp", "BackupCode"}, Policy: "UserControlled"}
	return &sie
}

// MFAUser is the scripted user alice and her factors' secrets.
type MFAUser struct {
	TotpSecret  string
	BackupCodes []string
}

// RegisterMFAUser registers alice (user 1) with a TOTP and backup codes,
// on a server with ScriptSettings, and moves the clock to the next TOTP
// step.
func RegisterMFAUser(t testing.TB, srv *Server) MFAUser {
	t.Helper()
	c := registered(t, srv, "alice")
	var u MFAUser
	c.Expect(http.MethodPost, "/submit", nil, http.StatusUnprocessableEntity) // user.suggest_mfa
	secret := c.Expect(http.MethodPost, "/verification/totp/secret", nil, http.StatusOK)
	u.TotpSecret = secret["secret"].(string)
	code, _ := totp.Code(u.TotpSecret, srv.Clock.Now())
	c.Expect(http.MethodPost, "/verification/totp/verify", map[string]any{"verificationId": secret["verificationId"], "code": code}, http.StatusOK)
	c.Expect(http.MethodPost, "/profile/mfa", map[string]any{"type": "Totp", "verificationId": secret["verificationId"]}, http.StatusNoContent)
	backup := c.Expect(http.MethodPost, "/verification/backup-code/generate", nil, http.StatusOK)
	for _, code := range backup["codes"].([]any) {
		u.BackupCodes = append(u.BackupCodes, code.(string))
	}
	c.Expect(http.MethodPost, "/profile/mfa", map[string]any{"type": "BackupCode", "verificationId": backup["verificationId"]}, http.StatusNoContent)
	c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
	srv.Clock.Advance(30 * time.Second)
	return u
}

// SignInWithWrongPasswordFirst is the scripted sign-in of the audit's
// tests: a wrong password, the right one, identification, the MFA prompt,
// TOTP, submit. It returns the interaction id.
func SignInWithWrongPasswordFirst(t testing.TB, srv *Server, u MFAUser) string {
	t.Helper()
	c := srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	alice := map[string]string{"type": "username", "value": "alice"}
	srv.Clock.Advance(time.Second)
	c.Expect(http.MethodPost, "/verification/password", map[string]any{"identifier": alice, "password": "Wr0ng!pass"}, http.StatusUnprocessableEntity)
	srv.Clock.Advance(2 * time.Second)
	vid := c.Expect(http.MethodPost, "/verification/password", map[string]any{"identifier": alice, "password": ScriptPassword}, http.StatusOK)["verificationId"]
	c.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusNoContent)
	c.Expect(http.MethodPost, "/submit", nil, http.StatusForbidden)
	srv.Clock.Advance(5 * time.Second)
	code, _ := totp.Code(u.TotpSecret, srv.Clock.Now())
	c.Expect(http.MethodPost, "/verification/totp/verify", map[string]any{"code": code}, http.StatusOK)
	c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
	return c.InteractionID()
}

// Expect calls the Experience API (path under /api/experience), requires
// status and returns the JSON body.
func (c *Client) Expect(method, path string, body any, status int) map[string]any {
	c.t.Helper()
	r := c.Do(method, "/api/experience"+path, body)
	if r.Status != status {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, r.Status, r.Body, status)
	}
	return r.JSON()
}

// Register creates a user with a username and ScriptPassword.
func Register(t testing.TB, srv *Server, name string) {
	t.Helper()
	registered(t, srv, name).Expect(http.MethodPost, "/submit", nil, http.StatusOK)
}

// registered runs a Register interaction for name up to the submit.
func registered(t testing.TB, srv *Server, name string) *Client {
	t.Helper()
	return upToIdentification(t, srv, name, "Register", "/verification/new-password-identity", http.StatusCreated)
}

// upToIdentification starts an interaction of event for name, verifies
// ScriptPassword on route and identifies, which answers identified.
func upToIdentification(t testing.TB, srv *Server, name, event, route string, identified int) *Client {
	t.Helper()
	c := srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": event}, http.StatusNoContent)
	vid := c.Expect(http.MethodPost, route, map[string]any{"identifier": username(name), "password": ScriptPassword}, http.StatusOK)["verificationId"]
	c.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, identified)
	return c
}

// SignIn signs name in with ScriptPassword and returns the interaction id.
func SignIn(t testing.TB, srv *Server, name string) string {
	t.Helper()
	c := Identified(t, srv, name)
	c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
	return c.InteractionID()
}

// Identified runs a SignIn interaction for name with ScriptPassword up to
// the identification, which a submit or an MFA verification follows.
func Identified(t testing.TB, srv *Server, name string) *Client {
	t.Helper()
	return upToIdentification(t, srv, name, "SignIn", "/verification/password", http.StatusNoContent)
}

func username(name string) map[string]string {
	return map[string]string{"type": "username", "value": name}
}

// UseEverySecret is the scripted run that the secret scans look for:
// after SignInWithWrongPasswordFirst, a sign-in by email code (to an
// address no user has), one with a backup code, and wrong passwords until
// alice is locked (with a sentinel policy of 3 attempts). It returns every
// secret used, for the scans.
func UseEverySecret(t testing.TB, srv *Server, smtp *SMTPServer, u MFAUser) []string {
	t.Helper()
	SignInWithWrongPasswordFirst(t, srv, u)
	c := srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	email := map[string]string{"type": "email", "value": "carol@example.com"}
	sent := c.Expect(http.MethodPost, "/verification/verification-code", map[string]any{"identifier": email, "interactionEvent": "SignIn"}, http.StatusOK)
	code := smtp.WaitMail(t, 1)[0].Code()
	c.Expect(http.MethodPost, "/verification/verification-code/verify",
		map[string]any{"identifier": email, "verificationId": sent["verificationId"], "code": code}, http.StatusOK)
	c = Identified(t, srv, "alice")
	c.Expect(http.MethodPost, "/verification/backup-code/verify", map[string]any{"code": u.BackupCodes[0]}, http.StatusOK)
	c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
	for range 3 {
		c = srv.Client(t)
		c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
		c.Do(http.MethodPost, "/api/experience/verification/password", map[string]any{"identifier": username("alice"), "password": "Wr0ng!pass"})
		srv.Clock.Advance(time.Second)
	}
	return append([]string{ScriptPassword, "Wr0ng!pass", u.TotpSecret, code, "$argon2id"}, u.BackupCodes...)
}

// Token gets an access token for an API client through the real token
// endpoint.
func (s *Server) Token(t testing.TB, clientID, secret string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+onelogin.TokenPath, strings.NewReader(`{"grant_type":"client_credentials"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("apitest: token for %s: %d %v", clientID, resp.StatusCode, err)
	}
	return body.AccessToken
}

// Count is how many of lines are line: events written, by type or by
// "aggregate type" lines (Server.Log).
func Count(lines []string, line string) int {
	n := 0
	for _, l := range lines {
		if l == line {
			n++
		}
	}
	return n
}
