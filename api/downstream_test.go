package api_test

import (
	"bufio"
	"context"
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
	"github.com/authtrail/authtrail/domain/webhook"
	"github.com/authtrail/authtrail/workers/publicstream"
	"github.com/authtrail/authtrail/workers/webhooks"
)

// After a run with passwords, codes, TOTP and backup codes, no secret is
// in a CloudEvent, a webhook payload, a server-sent event, a metric or a
// log line.
func TestNoSecretLeavesDownstream(t *testing.T) {
	var mu sync.Mutex
	var hooked []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		hooked = append(hooked, string(body))
		mu.Unlock()
	}))
	defer receiver.Close()
	smtp := apitest.NewSMTPServer(t)
	sie := apitest.ScriptSettings()
	sie.SentinelPolicy = settings.SentinelPolicy{MaxAttempts: 3, LockoutDuration: 60}
	srv := apitest.NewServer(t, apitest.Options{Settings: sie, SMTP: smtp,
		APIClients: []onelogin.Client{{ID: "auditor", Secret: "auditor-secret", Scope: onelogin.ScopeReadAll}},
		Webhooks:   []webhooks.Hook{{ID: "sink", URL: receiver.URL, SigningKey: "k", Events: webhook.Names}}})
	token := srv.Token(t, "auditor", "auditor-secret")

	// A server-sent event subscriber from the start.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/admin/events/stream?from=1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("event stream: %v %v", resp, err)
	}
	var sse strings.Builder
	var sseMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			sseMu.Lock()
			sse.WriteString(sc.Text() + "\n")
			sseMu.Unlock()
		}
	}()

	secrets := apitest.UseEverySecret(t, srv, smtp, apitest.RegisterMFAUser(t, srv))

	// Everything downstream has caught up: the lockout hook came, the
	// stream sent the last event.
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		done := len(hooked) > 0 && strings.Contains(hooked[len(hooked)-1], webhook.IdentifierLockout)
		mu.Unlock()
		sseMu.Lock()
		streamed := strings.Contains(sse.String(), "authtrail.sentinel.locked")
		sseMu.Unlock()
		if done && streamed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("downstream did not catch up (hooks %d, stream has the lock: %v)", len(hooked), streamed)
		}
		time.Sleep(20 * time.Millisecond)
	}
	metricsText := srv.Client(t).Do(http.MethodGet, "/metrics", nil)
	if metricsText.Status != http.StatusOK || !strings.Contains(string(metricsText.Body), "authtrail_webhook_deliveries_total") {
		t.Fatalf("/metrics: %d", metricsText.Status)
	}
	var cloudEvents strings.Builder
	js := srv.Store.JetStream()
	stream, err := js.Stream(context.Background(), publicstream.Stream)
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= stream.CachedInfo().State.LastSeq; seq++ {
		m, err := stream.GetMsg(context.Background(), seq)
		if err != nil {
			t.Fatal(err)
		}
		cloudEvents.Write(m.Data)
	}
	mu.Lock()
	hooks := strings.Join(hooked, "\n")
	mu.Unlock()
	sseMu.Lock()
	streamed := sse.String()
	sseMu.Unlock()
	outputs := map[string]string{"CloudEvents": cloudEvents.String(), "webhooks": hooks, "server-sent events": streamed,
		"metrics": string(metricsText.Body), "logs": srv.Logs()}
	for name, out := range outputs {
		if len(out) < 100 {
			t.Errorf("%s: only %d bytes to scan", name, len(out))
		}
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s hold the secret %q", name, s)
			}
		}
	}
}
