package experience_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/throttle"
	"github.com/authtrail/authtrail/eventstore"
)

// The tests name their clients with X-Forwarded-For from the trusted
// loopback proxy.
var loopbackProxy = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

func from(c *apitest.Client, ip string) *apitest.Client { return c.WithHeader("X-Forwarded-For", ip) }

func verifyAs(c *apitest.Client, typ, value, pw string) *apitest.Response {
	return c.Do(http.MethodPost, "/api/experience/verification/password",
		map[string]any{"identifier": map[string]string{"type": typ, "value": value}, "password": pw})
}

// createUser makes a user with a username, an email and goodPassword
// through the Users API and returns its id.
func createUser(t *testing.T, srv *apitest.Server, name string) string {
	t.Helper()
	token := srv.Token(t, "admin", "admin-secret")
	body := `{"username":"` + name + `","email":"` + name + `@example.com","password":"` + goodPassword + `","password_confirmation":"` + goodPassword + `"}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/2/users", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var u struct {
		ID json.Number `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create %s: %d %v", name, resp.StatusCode, err)
	}
	return u.ID.String()
}

var adminClient = []onelogin.Client{{ID: "admin", Secret: "admin-secret", Scope: onelogin.ScopeManageAll}}

// Switching from the username to the email buys no more guesses: a known
// user's identifiers share the user's pool, and the lock blocks them all.
func TestSentinelCountsAUsersFailuresAcrossIdentifiers(t *testing.T) {
	sie := *emailSettings()
	sie.SignIn.Methods = append(sie.SignIn.Methods, settings.SignInMethod{Identifier: "username", Password: true})
	sie.SentinelPolicy = settings.SentinelPolicy{MaxAttempts: 3, LockoutDuration: 60}
	srv := apitest.NewServer(t, apitest.Options{Settings: &sie, APIClients: adminClient})
	id := createUser(t, srv, "dana")

	c := srv.Client(t)
	start(t, c, "SignIn")
	expect(t, verifyAs(c, "username", "dana", "Wrong-passw0rd"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	expect(t, verifyAs(c, "email", "dana@example.com", "Wrong-passw0rd"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	expect(t, verifyAs(c, "email", "DANA@example.com", "Wrong-passw0rd"), http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
	for _, typed := range [][2]string{{"username", "dana"}, {"email", "dana@example.com"}} {
		expect(t, verifyAs(c, typed[0], typed[1], goodPassword), http.StatusBadRequest, "session.verification_blocked_too_many_attempts")
	}

	pool := eventstore.MustSubject(sentinel.AggregateType, sentinel.ID(sentinel.PoolIdentifier, "user:"+id))
	if got := srv.EventTypes(t, pool); !equal(got, []string{"sentinel.attempt.failed", "sentinel.attempt.failed", "sentinel.attempt.failed", "sentinel.locked"}) {
		t.Fatalf("the user's pool holds %v", got)
	}
	envs, _, err := srv.Store.Load(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	var locked sentinel.Locked
	if err := json.Unmarshal(envs[len(envs)-1].Data, &locked); err != nil || locked.Identifier == nil ||
		*locked.Identifier != (sentinel.Target{Type: "email", Value: "dana@example.com"}) {
		t.Fatalf("the lock names %+v (%v), want the email typed", locked.Identifier, err)
	}
	for _, byIdentifier := range []string{"username:dana", "email:dana@example.com"} {
		subject := eventstore.MustSubject(sentinel.AggregateType, sentinel.ID(sentinel.PoolIdentifier, byIdentifier))
		if got := srv.EventTypes(t, subject); len(got) != 0 {
			t.Fatalf("identifier pool %s holds %v, want nothing", byIdentifier, got)
		}
	}
	// An identifier no user owns keeps a pool of its own.
	expect(t, verifyAs(c, "username", "nobody", "Wrong-passw0rd"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	if got := srv.EventTypes(t, eventstore.MustSubject(sentinel.AggregateType, sentinel.ID(sentinel.PoolIdentifier, "username:nobody"))); len(got) != 1 {
		t.Fatalf("unknown identifier's pool: %v", got)
	}
}

// One client address may fail limits.failedAttemptsPerIp verifications;
// then its verifications answer 429 with Retry-After, before any hash,
// without touching a sentinel and without writing an event, while other addresses and successes from
// any address go on. Every test server forces a conflict on each command's
// first commit, so a failure counted once per attempt would show here.
func TestFailedVerificationsPerClientAddress(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{
		TrustedProxies: loopbackProxy,
		Limits:         experience.Limits{FailedAttempts: throttle.Rate{Count: 3, Window: time.Minute}},
	})
	register(t, srv, "erin", goodPassword)

	attacker := from(srv.Client(t), "198.51.100.7")
	start(t, attacker, "SignIn")
	for _, name := range []string{"u1", "u2", "erin"} {
		expect(t, verifyPassword(t, attacker, name, "Wrong-passw0rd"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	}
	r := verifyPassword(t, attacker, "u4", "Wrong-passw0rd")
	expect(t, r, http.StatusTooManyRequests, "request.too_many_failed_attempts")
	if got := r.Header.Get("Retry-After"); got != "20" {
		t.Fatalf("Retry-After %q, want 20 (one of 3 per minute)", got)
	}
	// The right password from the refused address is refused too (the
	// trade-off of a shared address, README: Abuse limits).
	expect(t, verifyPassword(t, attacker, "erin", goodPassword), http.StatusTooManyRequests, "request.too_many_failed_attempts")
	// The refusals are answered, not recorded: a throttled client cannot
	// grow the log.
	if got := interactionEvents(t, srv, attacker); !equal(got, []string{"interaction.started",
		"interaction.password.failed", "interaction.password.failed", "interaction.password.failed"}) {
		t.Fatalf("attacker's interaction: %v", got)
	}
	if got := srv.EventTypes(t, eventstore.MustSubject(sentinel.AggregateType, sentinel.ID(sentinel.PoolIdentifier, "username:u4"))); len(got) != 0 {
		t.Fatalf("a refused address reached the sentinel: %v", got)
	}

	// Another address is not affected; successes spend nothing.
	office := from(srv.Client(t), "203.0.113.9")
	for range 5 {
		start(t, office, "SignIn")
		verificationID(t, verifyPassword(t, office, "erin", goodPassword))
	}

	srv.Clock.Advance(20 * time.Second)
	expect(t, verifyPassword(t, attacker, "u5", "Wrong-passw0rd"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	expect(t, verifyPassword(t, attacker, "u6", "Wrong-passw0rd"), http.StatusTooManyRequests, "request.too_many_failed_attempts")
}

// Without a trusted proxy, X-Forwarded-For names nobody: a client cannot
// step around its limit by sending the header.
func TestForwardedForFromAnUntrustedPeerIsIgnored(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{
		Limits: experience.Limits{FailedAttempts: throttle.Rate{Count: 2, Window: time.Minute}},
	})
	c := srv.Client(t)
	start(t, c, "SignIn")
	for i, ip := range []string{"198.51.100.1", "198.51.100.2"} {
		expect(t, verifyPassword(t, from(c, ip), fmt.Sprintf("u%d", i), "Wrong-passw0rd"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	}
	expect(t, verifyPassword(t, from(c, "198.51.100.3"), "u3", "Wrong-passw0rd"), http.StatusTooManyRequests, "request.too_many_failed_attempts")
}

// Two servers on one NATS (two processes) spend from the same buckets.
func TestClientLimitsAreSharedBetweenProcesses(t *testing.T) {
	limits := experience.Limits{FailedAttempts: throttle.Rate{Count: 3, Window: time.Minute}}
	one := apitest.NewServer(t, apitest.Options{TrustedProxies: loopbackProxy, Limits: limits})
	two := apitest.NewServer(t, apitest.Options{TrustedProxies: loopbackProxy, Limits: limits, Store: one.Store, Clock: one.Clock})

	a := from(one.Client(t), "198.51.100.7")
	start(t, a, "SignIn")
	b := from(apitest.NewClient(t, two.URL), "198.51.100.7")
	start(t, b, "SignIn")
	expect(t, verifyPassword(t, a, "x1", "Wrong-passw0rd"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	expect(t, verifyPassword(t, b, "x2", "Wrong-passw0rd"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	expect(t, verifyPassword(t, a, "x3", "Wrong-passw0rd"), http.StatusUnprocessableEntity, "session.invalid_credentials")
	expect(t, verifyPassword(t, b, "x4", "Wrong-passw0rd"), http.StatusTooManyRequests, "request.too_many_failed_attempts")
	expect(t, verifyPassword(t, a, "x5", "Wrong-passw0rd"), http.StatusTooManyRequests, "request.too_many_failed_attempts")
}

// Codes to recipients an address never verified are capped per address
// (SMS pumping): the refused send queues nothing; a recipient the address
// has verified a code of is not new; another address has its own cap.
func TestCodeSendsToNewRecipientsPerClientAddress(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	srv := apitest.NewServer(t, apitest.Options{
		Settings: emailSettings(), SMTP: smtp, TrustedProxies: loopbackProxy,
		Limits: experience.Limits{NewRecipients: throttle.Rate{Count: 2, Window: time.Hour}},
	})
	c := from(srv.Client(t), "198.51.100.7")
	start(t, c, "Register")
	vid, code := emailCode(t, c, smtp, "one@example.com", "Register")
	expect(t, verifyCodeReq(t, c, "email", "one@example.com", vid, code), http.StatusOK, "")
	expect(t, sendCode(t, c, "email", "two@example.com", "Register"), http.StatusOK, "")
	r := sendCode(t, c, "email", "three@example.com", "Register")
	expect(t, r, http.StatusTooManyRequests, "request.too_many_new_recipients")
	if got := r.Header.Get("Retry-After"); got != "1800" {
		t.Fatalf("Retry-After %q, want 1800", got)
	}
	events := interactionEvents(t, srv, c)
	if count(events, "interaction.request.failed") != 1 || count(events, "interaction.code.requested") != 2 {
		t.Fatalf("events after the refused send: %v", events)
	}
	// A verified recipient is not new, even with the cap spent.
	expect(t, sendCode(t, c, "email", "ONE@example.com", "Register"), http.StatusOK, "")
	other := from(srv.Client(t), "203.0.113.9")
	start(t, other, "Register")
	expect(t, sendCode(t, other, "email", "three@example.com", "Register"), http.StatusOK, "")
	if mails := smtp.WaitMail(t, 4); len(mails) != 4 {
		t.Fatalf("%d mails, want 4", len(mails))
	}
}
