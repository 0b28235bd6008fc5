package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/metrics/metricstest"
)

// A scripted run moves every series the server records: requests by route
// template, their durations, the events appended, the forced conflict of
// every command's first commit, the delivery worker's messages, and the
// projections' lag.
func TestMetricsMoveDuringAScriptedRun(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	sie := apitest.ScriptSettings() // email codes
	sie.MFA = settings.Default().MFA
	srv := apitest.NewServer(t, apitest.Options{Settings: sie, SMTP: smtp})
	metricsURL := srv.URL + "/metrics"
	before := metricstest.Scrape(t, metricsURL)

	apitest.Register(t, srv, "bob")
	apitest.SignIn(t, srv, "bob")
	c := srv.Client(t)
	c.Do(http.MethodGet, "/api/2/users/12345", nil)               // 401, a route with an id
	c.Do(http.MethodGet, "/nowhere/Secr3t!pass?code=123456", nil) // 404, no route
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "Register"}, http.StatusNoContent)
	c.Expect(http.MethodPost, "/verification/verification-code", map[string]any{
		"identifier": map[string]string{"type": "email", "value": "ann@example.com"}, "interactionEvent": "Register"}, http.StatusOK)
	smtp.WaitMail(t, 1)

	// The worker counts a message after its handler returned: wait for it.
	var after metricstest.Samples
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		after = metricstest.Scrape(t, metricsURL)
		if after.Sum("authtrail_worker_messages_total", "worker", "code_delivery", "outcome", "ok") >= 1 || time.Now().After(deadline) {
			break
		}
	}
	grew := func(name string, by float64, labels ...string) {
		t.Helper()
		if d := after.Sum(name, labels...) - before.Sum(name, labels...); d < by {
			t.Errorf("%s%v grew by %v, want at least %v", name, labels, d, by)
		}
	}
	grew("authtrail_http_requests_total", 3, "route", "/api/experience", "method", "PUT", "status", "204")
	grew("authtrail_http_requests_total", 1, "route", "/api/experience/verification/password", "method", "POST", "status", "200")
	grew("authtrail_http_requests_total", 1, "route", "/api/2/users/{id}", "method", "GET", "status", "401")
	grew("authtrail_http_requests_total", 1, "route", "unmatched", "status", "404")
	grew("authtrail_http_request_duration_seconds_count", 2, "route", "/api/experience/submit")
	grew("authtrail_events_appended_total", 3, "type", "interaction.started")
	grew("authtrail_events_appended_total", 1, "type", "user.registered")
	grew("authtrail_events_appended_total", 1, "type", "interaction.code.sent")
	grew("authtrail_append_conflicts_total", 10)
	grew("authtrail_worker_messages_total", 1, "worker", "code_delivery", "outcome", "ok")
	for _, projection := range []string{"interactions", "devices"} {
		if !after.Has("authtrail_projection_lag_events", "projection", projection) {
			t.Errorf("no lag series for projection %s", projection)
		}
	}
	if !after.Has("go_goroutines") || !after.Has("process_resident_memory_bytes") {
		t.Error("the Go runtime and process collectors are missing")
	}
	// Labels hold templates and names, never what a request carried.
	for _, s := range after {
		for name, value := range s.Labels {
			for _, secret := range []string{"12345", "Secr3t", "123456", "bob", "ann@example.com", "nowhere"} {
				if strings.Contains(value, secret) {
					t.Errorf("%s label %s=%q holds %q", s.Name, name, value, secret)
				}
			}
		}
	}
}

// logLines decodes the JSON lines of a server's log.
func logLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	scanner := bufio.NewScanner(strings.NewReader(logs))
	for scanner.Scan() {
		var line map[string]any
		if err := json.Unmarshal(scanner.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %q", scanner.Text())
		}
		lines = append(lines, line)
	}
	return lines
}

// X-Request-Id is echoed, is the correlation id of the events the request
// wrote, and of its log lines: the access line with method, route, status,
// duration and IP, and none of the request's secrets.
func TestRequestIDCorrelatesLogLinesAndEvents(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{JSONLogs: true})
	c := srv.Client(t)
	send := func(method, path, requestID, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if requestID != "" {
			req.Header.Set("X-Request-Id", requestID)
		}
		resp, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := send(http.MethodPut, "/api/experience", "abc", `{"interactionEvent":"SignIn"}`)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("X-Request-Id") != "abc" {
		t.Fatalf("start: %d, X-Request-Id %q; want 204 and abc echoed", resp.StatusCode, resp.Header.Get("X-Request-Id"))
	}
	cookie := resp.Header.Get("Set-Cookie")
	resp = send(http.MethodPost, "/api/experience/verification/password", "abc-wrong",
		`{"identifier":{"type":"username","value":"nobody"},"password":"Wr0ng!secret"}`)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}

	var started, refused int
	err := srv.Store.Scan(context.Background(), func(env eventstore.Envelope) error {
		switch env.CorrelationID {
		case "abc":
			started++
			if env.Type != "interaction.started" {
				t.Errorf("request abc wrote %s", env.Type)
			}
		case "abc-wrong":
			refused++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if started != 1 || refused == 0 {
		t.Errorf("events with correlation id abc: %d, abc-wrong: %d; want 1 and some", started, refused)
	}

	logs := srv.Logs()
	var access map[string]any
	for _, line := range logLines(t, logs) {
		if line["correlationId"] == "abc" && line["msg"] == "request" {
			access = line
		}
	}
	if access == nil {
		t.Fatalf("no request line with correlationId abc in\n%s", logs)
	}
	want := map[string]any{"level": "INFO", "method": "PUT", "route": "/api/experience", "status": 204.0, "ip": "127.0.0.1"}
	for key, value := range want {
		if access[key] != value {
			t.Errorf("request line %s = %v, want %v", key, access[key], value)
		}
	}
	if _, ok := access["durationMs"].(float64); !ok {
		t.Errorf("request line durationMs = %v, want a number", access["durationMs"])
	}
	if _, err := time.Parse(time.RFC3339Nano, access["time"].(string)); err != nil {
		t.Errorf("request line time: %v", err)
	}
	cookieValue := strings.TrimPrefix(strings.Split(cookie, ";")[0], "_interaction=")
	for _, secret := range []string{"Wr0ng!secret", cookieValue} {
		if secret != "" && strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

// The server draws the id when the client sends none, or one that could
// spoil the log: spaces, control characters, or too long.
func TestRequestIDIsDrawnWhenMissingOrUnfit(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	// Straight to the API, past the test server's audit, which draws its own.
	direct := httptest.NewServer(srv.API())
	defer direct.Close()
	for name, sent := range map[string]string{"none": "", "space": "a b", "long": strings.Repeat("x", 129), "non-ASCII": "é"} {
		req, _ := http.NewRequest(http.MethodGet, direct.URL+"/health/alive", nil)
		if sent != "" {
			req.Header.Set("X-Request-Id", sent)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Request-Id"); got == "" || got == sent {
			t.Errorf("%s: X-Request-Id %q, want a drawn id", name, got)
		}
	}
}

func TestHealthRoutes(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	c := srv.Client(t)
	for _, path := range []string{"/healthz", "/health/ready", "/health/alive"} {
		if r := c.Do(http.MethodGet, path, nil); r.Status != http.StatusOK || r.JSON()["status"] != "ok" {
			t.Errorf("ready: GET %s = %d %s", path, r.Status, r.Body)
		}
	}
	srv.API().SetReady(false)
	defer srv.API().SetReady(true)
	for path, want := range map[string]int{"/healthz": 503, "/health/ready": 503, "/health/alive": 200} {
		if r := c.Do(http.MethodGet, path, nil); r.Status != want {
			t.Errorf("not ready: GET %s = %d, want %d", path, r.Status, want)
		} else if want == 503 && r.Code() != "request.unavailable" {
			t.Errorf("not ready: GET %s code %q", path, r.Code())
		}
	}
}
