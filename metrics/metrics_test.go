package metrics_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authtrail/authtrail/metrics"
	"github.com/authtrail/authtrail/metrics/metricstest"
)

func TestSeriesMoveAndShowOnTheHandler(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()

	m.ObserveHTTP("/api/experience", "PUT", 204, 30*time.Millisecond)
	m.ObserveHTTP("/api/experience", "BREW", 405, time.Millisecond)
	m.EventAppended("interaction.started")
	m.EventAppended("interaction.started")
	m.AppendConflict()
	m.WorkerMessage("code_delivery", metrics.OutcomeOK)
	m.WebhookDelivery(metrics.OutcomeFailed)
	m.SetProjectionLag(func(context.Context) (map[string]uint64, error) {
		return map[string]uint64{"devices": 0, "interactions": 7}, nil
	})

	s := metricstest.Scrape(t, srv.URL)
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"authtrail_http_requests_total", []string{"route", "/api/experience", "method", "PUT", "status", "204"}, 1},
		{"authtrail_http_requests_total", []string{"method", "OTHER", "status", "405"}, 1},
		{"authtrail_http_request_duration_seconds_count", []string{"route", "/api/experience"}, 2},
		{"authtrail_events_appended_total", []string{"type", "interaction.started"}, 2},
		{"authtrail_append_conflicts_total", nil, 1},
		{"authtrail_worker_messages_total", []string{"worker", "code_delivery", "outcome", "ok"}, 1},
		{"authtrail_webhook_deliveries_total", []string{"outcome", "failed"}, 1},
		{"authtrail_projection_lag_events", []string{"projection", "interactions"}, 7},
		{"authtrail_projection_lag_events", []string{"projection", "devices"}, 0},
	}
	for _, c := range checks {
		if !s.Has(c.name, c.labels...) {
			t.Errorf("%s%v: no such series", c.name, c.labels)
		} else if got := s.Sum(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if s.Has("authtrail_http_requests_total", "method", "BREW") {
		t.Error("an unknown method became a label value")
	}
	for _, runtime := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total"} {
		if !s.Has(runtime) {
			t.Errorf("runtime series %s missing", runtime)
		}
	}
}

func TestProjectionLagSourceFailingLeavesNoSeries(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	m.SetProjectionLag(func(context.Context) (map[string]uint64, error) { return nil, errors.New("store down") })
	if s := metricstest.Scrape(t, srv.URL); s.Has("authtrail_projection_lag_events") {
		t.Error("a lag was reported although the source failed")
	}
}

// Two servers in one process keep their own counts.
func TestRegistriesAreSeparate(t *testing.T) {
	t.Parallel()
	a, b := metrics.New(), metrics.New()
	a.AppendConflict()
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	if got := metricstest.Scrape(t, srv.URL).Sum("authtrail_append_conflicts_total"); got != 0 {
		t.Errorf("b counted a's conflict: %v", got)
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	t.Parallel()
	var m *metrics.Metrics
	m.ObserveHTTP("/x", "GET", 200, time.Second)
	m.EventAppended("t")
	m.AppendConflict()
	m.WorkerMessage("w", metrics.OutcomeOK)
	m.WebhookDelivery(metrics.OutcomeOK)
	m.SetProjectionLag(nil)
}
