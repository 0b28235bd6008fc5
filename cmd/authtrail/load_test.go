package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"sync"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain/totp"
)

// loadPassword is every load user's password.
const loadPassword = "Secr3t!pass"

// ledger is what the load was told: the steps answered 2xx (by request id),
// the registrations and code sends acknowledged.
type ledger struct {
	mu         sync.Mutex
	next       int
	acked      map[string]string // request id: "METHOD path"
	registered []string
	sends      []string // recipients
	signIns    int      // TOTP sign-ins submitted
	names      int
}

func (l *ledger) requestID() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	return fmt.Sprintf("load-%d", l.next)
}

func (l *ledger) name(prefix string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.names++
	return fmt.Sprintf("%s%d", prefix, l.names)
}

func (l *ledger) record(f func(*ledger)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l)
}

// loadClient is one browser: one interaction cookie. Its flows stop at the
// first unexpected answer (a killed server, say); the load starts another.
type loadClient struct {
	base string
	http *http.Client
	l    *ledger
}

func newLoadClient(base string, l *ledger) *loadClient {
	jar, _ := cookiejar.New(nil)
	return &loadClient{base: base, l: l, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// step calls the Experience API and records the step when it answers want.
func (c *loadClient) step(method, path string, body any, want int) (map[string]any, error) {
	var payload io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		payload = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+"/api/experience"+path, payload)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	id := c.l.requestID()
	req.Header.Set("X-Request-Id", id)
	resp, err := c.http.Do(req)
	if err != nil {
		time.Sleep(20 * time.Millisecond) // the server is down: do not spin
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if want < 300 {
		c.l.record(func(l *ledger) { l.acked[id] = method + " " + path })
	}
	out := map[string]any{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &out)
	}
	return out, nil
}

// steps runs calls in order until one fails.
func (c *loadClient) steps(calls ...func() error) error {
	for _, call := range calls {
		if err := call(); err != nil {
			return err
		}
	}
	return nil
}

func (c *loadClient) call(method, path string, body any, want int, out *map[string]any) func() error {
	return func() error {
		got, err := c.step(method, path, body, want)
		if out != nil {
			*out = got
		}
		return err
	}
}

// upToRegistration starts a registration of name with loadPassword and
// identifies; the submit that follows is asked for MFA.
func (c *loadClient) upToRegistration(name string) error {
	var vid map[string]any
	return c.steps(
		c.call(http.MethodPut, "", map[string]any{"interactionEvent": "Register"}, http.StatusNoContent, nil),
		c.call(http.MethodPost, "/verification/new-password-identity",
			map[string]any{"identifier": usernameID(name), "password": loadPassword}, http.StatusOK, &vid),
		func() error {
			_, err := c.step(http.MethodPost, "/identification", map[string]any{"verificationId": vid["verificationId"]}, http.StatusCreated)
			return err
		},
		c.call(http.MethodPost, "/submit", nil, http.StatusUnprocessableEntity, nil), // user.suggest_mfa
	)
}

// register registers a new user who skips MFA.
func (c *loadClient) register() {
	name := c.l.name("r")
	err := c.steps(
		func() error { return c.upToRegistration(name) },
		c.call(http.MethodPost, "/profile/mfa/mfa-skipped", nil, http.StatusNoContent, nil),
		c.call(http.MethodPost, "/submit", nil, http.StatusOK, nil),
	)
	if err == nil {
		c.l.record(func(l *ledger) { l.registered = append(l.registered, name) })
	}
}

// sendCode asks for a sign-in code to a new address.
func (c *loadClient) sendCode() {
	to := c.l.name("s") + "@example.com"
	err := c.steps(
		c.call(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent, nil),
		c.call(http.MethodPost, "/verification/verification-code",
			map[string]any{"identifier": map[string]string{"type": "email", "value": to}, "interactionEvent": "SignIn"}, http.StatusOK, nil),
	)
	if err == nil {
		c.l.record(func(l *ledger) { l.sends = append(l.sends, to) })
	}
}

// totpUser is a user with a TOTP, and the last 30 s step whose code was
// sent (a code counts once, even when its answer was lost).
type totpUser struct {
	name, secret string
	mu           sync.Mutex
	lastStep     int64
}

// nextStep is the step whose code the user may send now: the server takes
// the steps next to the current one too.
func (u *totpUser) nextStep(now time.Time) (int64, bool) {
	cur := now.Unix() / 30
	next := max(u.lastStep+1, cur-1)
	return next, next <= cur+1
}

// pickTOTPUser returns a user who has a code left to send now.
func pickTOTPUser(users []*totpUser) *totpUser {
	for _, u := range users {
		u.mu.Lock()
		_, ok := u.nextStep(time.Now())
		u.mu.Unlock()
		if ok {
			return u
		}
	}
	return nil
}

// claimCode spends the user's next step and returns its code.
func (u *totpUser) claimCode() (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	step, ok := u.nextStep(time.Now())
	if !ok {
		return "", fmt.Errorf("%s has no TOTP step left", u.name)
	}
	u.lastStep = step
	return totp.Code(u.secret, time.Unix(step*30, 0))
}

// signInWithTOTP signs a TOTP user in: password, identification, the MFA
// requirement, the code, submit.
func (c *loadClient) signInWithTOTP(users []*totpUser) {
	u := pickTOTPUser(users)
	if u == nil {
		time.Sleep(100 * time.Millisecond)
		return
	}
	var vid map[string]any
	err := c.steps(
		c.call(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent, nil),
		c.call(http.MethodPost, "/verification/password", map[string]any{"identifier": usernameID(u.name), "password": loadPassword}, http.StatusOK, &vid),
		func() error {
			_, err := c.step(http.MethodPost, "/identification", map[string]any{"verificationId": vid["verificationId"]}, http.StatusNoContent)
			return err
		},
		c.call(http.MethodPost, "/submit", nil, http.StatusForbidden, nil), // session.mfa.require_mfa_verification
		func() error {
			code, err := u.claimCode()
			if err != nil {
				return err
			}
			_, err = c.step(http.MethodPost, "/verification/totp/verify", map[string]any{"code": code}, http.StatusOK)
			return err
		},
		c.call(http.MethodPost, "/submit", nil, http.StatusOK, nil),
	)
	if err == nil {
		c.l.record(func(l *ledger) { l.signIns++ })
	}
}

// registerTOTPUsers registers n users with a TOTP each, before any kill.
func registerTOTPUsers(t *testing.T, base string, l *ledger, n int) []*totpUser {
	t.Helper()
	var users []*totpUser
	for range n {
		c := newLoadClient(base, l)
		u := &totpUser{name: l.name("t")}
		var secret map[string]any
		err := c.steps(
			func() error { return c.upToRegistration(u.name) },
			c.call(http.MethodPost, "/verification/totp/secret", nil, http.StatusOK, &secret),
			func() error {
				u.secret, _ = secret["secret"].(string)
				u.lastStep = time.Now().Unix()/30 - 2
				code, _ := u.claimCode()
				_, err := c.step(http.MethodPost, "/verification/totp/verify", map[string]any{"verificationId": secret["verificationId"], "code": code}, http.StatusOK)
				return err
			},
			func() error {
				_, err := c.step(http.MethodPost, "/profile/mfa", map[string]any{"type": "Totp", "verificationId": secret["verificationId"]}, http.StatusNoContent)
				return err
			},
			c.call(http.MethodPost, "/submit", nil, http.StatusOK, nil),
		)
		if err != nil {
			t.Fatalf("registering %s: %v", u.name, err)
		}
		l.record(func(l *ledger) { l.registered = append(l.registered, u.name) })
		users = append(users, u)
	}
	return users
}

func usernameID(name string) map[string]string {
	return map[string]string{"type": "username", "value": name}
}
