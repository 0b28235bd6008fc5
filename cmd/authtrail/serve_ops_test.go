package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/metrics/metricstest"
)

func TestServeHelpExitsZero(t *testing.T) {
	for _, flag := range []string{"--help", "-h"} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"serve", flag}, &stdout, &stderr); code != 0 {
			t.Fatalf("serve %s: exit %d, stderr %q", flag, code, stderr.String())
		}
		if out := stdout.String(); !strings.HasPrefix(out, "usage: authtrail serve") || !strings.Contains(out, "-http-addr") {
			t.Errorf("serve %s printed %q", flag, out)
		}
	}
}

func TestServeRefusesStrayArguments(t *testing.T) {
	for name, args := range map[string][]string{
		"positional":   {"serve", "now"},
		"after flags":  {"serve", "--data-dir", t.TempDir(), "extra"},
		"unknown flag": {"serve", "--frobnicate"},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, io.Discard, &stderr); code != 2 {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
		if out := strings.TrimSpace(stderr.String()); strings.Count(out, "\n") != 0 || !strings.HasPrefix(out, "authtrail serve: ") {
			t.Errorf("%s: want one line, got %q", name, out)
		}
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"version"}, &stdout, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if out := stdout.String(); !strings.HasPrefix(out, "authtrail ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("version printed %q", out)
	}
	built := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "e1c3e81f47b8"}, {Key: "vcs.time", Value: "2026-12-02T02:35:24Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := versionLine(built, true), "authtrail v1.2.3 e1c3e81f47b8 (modified) 2026-12-02T02:35:24Z go1.26.8"; got != want {
		t.Errorf("versionLine = %q, want %q", got, want)
	}
	if code := run(context.Background(), []string{"version", "now"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("version with an argument: exit %d, want 2", code)
	}
}

// A bad configuration is every problem at once, one line each, exit 1.
func TestServeReportsEveryConfigProblem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("nats: {replicas: 9}\nlog: {level: loud}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AUTHTRAIL_HTTP_ADRR", "127.0.0.1:1")
	t.Setenv("AUTHTRAIL_INTERACTION_TTL", "-1h")
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--config", path}, io.Discard, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	for _, want := range []string{"AUTHTRAIL_HTTP_ADRR", "nats.replicas", "interaction.ttl", "log.level"} {
		if !anyContains(lines, want) {
			t.Errorf("no line names %s in %q", want, lines)
		}
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "config: ") {
			t.Errorf("line %q is not a config line", line)
		}
	}
}

func anyContains(lines []string, part string) bool {
	for _, l := range lines {
		if strings.Contains(l, part) {
			return true
		}
	}
	return false
}

var metricsListening = regexp.MustCompile(`metrics on (http://\S+)`)

// The binary serves the health routes and /metrics, logs a JSON line per
// request (stderr is not a terminal) with the client's X-Request-Id as its
// correlation id, and with metrics.addr (here from the environment) serves
// /metrics there instead.
func TestServeMetricsHealthAndLogs(t *testing.T) {
	t.Run("on http.addr", func(t *testing.T) {
		var stderr apitest.SyncBuffer
		base, _, stop := startServeLogged(t, &stderr, "--data-dir", t.TempDir())
		defer stop()
		for _, path := range []string{"/health/alive", "/health/ready", "/healthz"} {
			if resp, err := http.Get(base + path); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %v %v", path, resp, err)
			}
		}
		req, _ := http.NewRequest(http.MethodPut, base+"/api/experience", strings.NewReader(`{"interactionEvent":"SignIn"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-Id", "abc")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusNoContent || resp.Header.Get("X-Request-Id") != "abc" {
			t.Fatalf("start: %v %v", resp, err)
		}
		s := metricstest.Scrape(t, base+"/metrics")
		if s.Sum("authtrail_http_requests_total", "route", "/api/experience", "method", "PUT", "status", "204") != 1 ||
			s.Sum("authtrail_events_appended_total", "type", "interaction.started") != 1 ||
			!s.Has("authtrail_projection_lag_events", "projection", "interactions") {
			t.Errorf("series did not move: %+v", s.Matching("authtrail_http_requests_total"))
		}
		if code := stop(); code != 0 {
			t.Fatalf("exit %d", code)
		}
		found := false
		scanner := bufio.NewScanner(strings.NewReader(stderr.String()))
		for scanner.Scan() {
			var line map[string]any
			if err := json.Unmarshal(scanner.Bytes(), &line); err != nil {
				t.Fatalf("log line is not JSON: %q", scanner.Text())
			}
			if line["msg"] == "request" && line["correlationId"] == "abc" && line["route"] == "/api/experience" && line["status"] == 204.0 {
				found = true
			}
		}
		if !found {
			t.Errorf("no request line for abc in\n%s", stderr.String())
		}
	})
	t.Run("on metrics.addr", func(t *testing.T) {
		t.Setenv("AUTHTRAIL_METRICS_ADDR", "127.0.0.1:0")
		base, stdout, stop := startServeLogged(t, io.Discard, "--data-dir", t.TempDir())
		defer stop()
		m := metricsListening.FindStringSubmatch(stdout.String())
		if m == nil {
			t.Fatalf("no metrics address in %q", stdout.String())
		}
		if s := metricstest.Scrape(t, m[1]); !s.Has("go_goroutines") {
			t.Error("the metrics listener has no runtime series")
		}
		if resp, err := http.Get(base + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /metrics on http.addr: %v %v, want 404", resp, err)
		}
	})
}
