package webhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/totp"
	"github.com/authtrail/authtrail/domain/webhook"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers/webhooks"
)

const signingKey = "hook-signing-key"

// call is one request the receiver got.
type call struct {
	header http.Header
	body   map[string]any
	raw    []byte
}

// receiver is an httptest receiver that checks both signatures and answers
// with the next of its statuses (0: drop the connection; the last repeats).
type receiver struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	calls    []call
	statuses []int
	delay    time.Duration
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	rc := &receiver{t: t, statuses: statuses}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		rc.mu.Lock()
		n := len(rc.calls)
		rc.calls = append(rc.calls, call{header: r.Header.Clone(), body: body, raw: raw})
		status := 200
		if len(rc.statuses) > 0 {
			status = rc.statuses[min(n, len(rc.statuses)-1)]
		}
		delay := rc.delay
		rc.mu.Unlock()
		time.Sleep(delay)
		if status == 0 {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			_ = conn.Close()
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) hook(id string, events ...string) webhooks.Hook {
	return webhooks.Hook{ID: id, URL: rc.srv.URL, Events: events, SigningKey: signingKey, Headers: map[string]string{"X-Tenant": "t1"},
		Timeout: 300 * time.Millisecond, Backoff: 10 * time.Millisecond, MaxAttempts: 3}
}

// waitCalls waits until the receiver has n calls and returns them.
func (rc *receiver) waitCalls(n int) []call {
	rc.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rc.mu.Lock()
		calls := append([]call(nil), rc.calls...)
		rc.mu.Unlock()
		if len(calls) >= n {
			return calls
		}
		if time.Now().After(deadline) {
			rc.t.Fatalf("%d calls, want %d", len(calls), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.calls)
}

// verify checks both signature schemes as their receivers would.
func verify(t *testing.T, c call) {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(signingKey))
	mac.Write(c.raw)
	if got := c.header.Get("logto-signature-sha-256"); got != hex.EncodeToString(mac.Sum(nil)) {
		t.Errorf("logto-signature-sha-256 %q does not verify", got)
	}
	// Standard Webhooks: the secret is whsec_ + base64 of the key.
	secret, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix("whsec_"+base64.StdEncoding.EncodeToString([]byte(signingKey)), "whsec_"))
	mac = hmac.New(sha256.New, secret)
	mac.Write([]byte(c.header.Get("webhook-id") + "." + c.header.Get("webhook-timestamp") + "." + string(c.raw)))
	if got := c.header.Get("webhook-signature"); got != "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Errorf("webhook-signature %q does not verify", got)
	}
	if c.header.Get("X-Tenant") != "t1" || c.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", c.header)
	}
}

func TestPostSignInReachesTheReceiverSigned(t *testing.T) {
	rc := newReceiver(t)
	srv := apitest.NewServer(t, apitest.Options{Webhooks: []webhooks.Hook{rc.hook("sink", webhook.PostSignIn, webhook.UserCreated)}})
	apitest.Register(t, srv, "alice")
	id := apitest.SignIn(t, srv, "alice")
	calls := rc.waitCalls(2)
	created, signIn := calls[0], calls[1]
	for _, c := range calls {
		verify(t, c)
	}
	if created.body["event"] != webhook.UserCreated || created.body["data"].(map[string]any)["username"] != "alice" {
		t.Fatalf("User.Created %s", created.raw)
	}
	b := signIn.body
	if b["hookId"] != "sink" || b["event"] != webhook.PostSignIn || b["sessionId"] != id || b["interactionEvent"] != "SignIn" ||
		b["userId"] != "1" || b["userIp"] != "127.0.0.1" || !strings.HasPrefix(b["userAgent"].(string), "Go-http-client") ||
		b["user"].(map[string]any)["username"] != "alice" {
		t.Fatalf("PostSignIn %s", signIn.raw)
	}
	if strings.Contains(string(signIn.raw), "argon2") || strings.Contains(string(signIn.raw), apitest.ScriptPassword) {
		t.Fatalf("the payload holds a secret: %s", signIn.raw)
	}
}

// A receiver that fails twice gets the third attempt with the same
// webhook-id; each attempt is an event and is listed, newest first.
func TestFailedAttemptsAreRetriedAndRecorded(t *testing.T) {
	rc := newReceiver(t, 500, 0, 204)
	srv := apitest.NewServer(t, apitest.Options{APIClients: clients, Webhooks: []webhooks.Hook{rc.hook("sink", webhook.PostRegister)}})
	apitest.Register(t, srv, "alice")
	calls := rc.waitCalls(3)
	if calls[0].header.Get("webhook-id") == "" || calls[1].header.Get("webhook-id") != calls[0].header.Get("webhook-id") ||
		calls[2].header.Get("webhook-id") != calls[0].header.Get("webhook-id") {
		t.Fatalf("webhook-ids %q %q %q", calls[0].header.Get("webhook-id"), calls[1].header.Get("webhook-id"), calls[2].header.Get("webhook-id"))
	}
	subject := eventstore.MustSubject(webhook.AggregateType, calls[0].header.Get("webhook-id"))
	waitTypes(t, srv, subject, "webhook.attempted", "webhook.attempted", "webhook.attempted")

	var page struct {
		Items []struct {
			WebhookID string  `json:"webhookId"`
			Event     string  `json:"event"`
			Attempt   int     `json:"attempt"`
			Status    *int    `json:"status"`
			Error     *string `json:"error"`
		} `json:"items"`
	}
	waitDeliveries(t, srv, "sink", 3, &page)
	got := page.Items
	if got[0].Attempt != 3 || *got[0].Status != 204 || got[1].Attempt != 2 || got[1].Error == nil || got[2].Attempt != 1 ||
		*got[2].Status != 500 || got[0].WebhookID != "sink" || got[0].Event != webhook.PostRegister {
		t.Fatalf("deliveries %+v", got)
	}
	if r := adminGet(t, srv, "/api/admin/webhooks/nope/deliveries"); r.Status != http.StatusNotFound {
		t.Fatalf("unknown hook: %d", r.Status)
	}
}

// A receiver that hangs is cut at the timeout; after the last attempt the
// delivery is given up.
func TestAHangingReceiverIsGivenUp(t *testing.T) {
	rc := newReceiver(t)
	rc.delay = time.Second
	h := rc.hook("slow", webhook.PostRegister)
	h.MaxAttempts = 2
	srv := apitest.NewServer(t, apitest.Options{Webhooks: []webhooks.Hook{h}})
	start := time.Now()
	apitest.Register(t, srv, "alice")
	if took := time.Since(start); took > 800*time.Millisecond {
		t.Fatalf("the registration took %s with a hanging receiver", took)
	}
	calls := rc.waitCalls(2)
	subject := eventstore.MustSubject(webhook.AggregateType, calls[0].header.Get("webhook-id"))
	waitTypes(t, srv, subject, "webhook.attempted", "webhook.attempted", "webhook.failed")
}

// A sign-in stopped by MFA fires no PostSignIn until its submit succeeds;
// a lockout fires Identifier.Lockout with the identifier.
func TestPostSignInWaitsForTheSubmitAndLockoutsFire(t *testing.T) {
	rc := newReceiver(t)
	sie := apitest.ScriptSettings()
	sie.SentinelPolicy = settings.SentinelPolicy{MaxAttempts: 2, LockoutDuration: 60}
	srv := apitest.NewServer(t, apitest.Options{Settings: sie, Webhooks: []webhooks.Hook{rc.hook("sink", webhook.PostSignIn, webhook.IdentifierLockout)}})
	alice := apitest.RegisterMFAUser(t, srv)
	c := apitest.Identified(t, srv, "alice")
	c.Expect(http.MethodPost, "/submit", nil, http.StatusForbidden)
	time.Sleep(300 * time.Millisecond)
	if n := rc.count(); n != 0 {
		t.Fatalf("%d hooks before the submit succeeded", n)
	}
	code, _ := totp.Code(alice.TotpSecret, srv.Clock.Now())
	c.Expect(http.MethodPost, "/verification/totp/verify", map[string]any{"code": code}, http.StatusOK)
	c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
	if calls := rc.waitCalls(1); calls[0].body["event"] != webhook.PostSignIn {
		t.Fatalf("first hook %s", calls[0].raw)
	}

	c = srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	who := map[string]string{"type": "username", "value": "alice"}
	for range 2 {
		c.Do(http.MethodPost, "/api/experience/verification/password", map[string]any{"identifier": who, "password": "Wr0ng!pass"})
	}
	lock := rc.waitCalls(2)[1]
	verify(t, lock)
	if lock.body["event"] != webhook.IdentifierLockout || lock.body["type"] != "username" || lock.body["value"] != "alice" {
		t.Fatalf("lockout hook %s", lock.raw)
	}
}

func waitTypes(t *testing.T, srv *apitest.Server, subject string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := srv.EventTypes(t, subject)
		if strings.Join(got, ",") == strings.Join(want, ",") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v, want %v", subject, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var clients = []onelogin.Client{{ID: "auditor", Secret: "auditor-secret", Scope: onelogin.ScopeReadAll}}

func adminGet(t *testing.T, srv *apitest.Server, path string) *apitest.Response {
	t.Helper()
	return srv.Client(t).WithHeader("Authorization", "Bearer "+srv.Token(t, "auditor", "auditor-secret")).Do(http.MethodGet, path, nil)
}

func waitDeliveries(t *testing.T, srv *apitest.Server, hook string, n int, page any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.API().ReadModels.WaitCurrent(ctx); err != nil {
		t.Fatal(err)
	}
	r := adminGet(t, srv, "/api/admin/webhooks/"+hook+"/deliveries")
	if r.Status != http.StatusOK {
		t.Fatalf("deliveries: %d %s", r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, page); err != nil {
		t.Fatal(err)
	}
	var count struct {
		Items []any `json:"items"`
	}
	_ = json.Unmarshal(r.Body, &count)
	if len(count.Items) != n {
		t.Fatalf("%d deliveries listed, want %d: %s", len(count.Items), n, r.Body)
	}
}
