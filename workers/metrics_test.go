package workers_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/authtrail/authtrail/metrics"
	"github.com/authtrail/authtrail/metrics/metricstest"
	"github.com/authtrail/authtrail/workers"
)

// Each message counts once by its outcome: a flaky one that succeeds on a
// retry is ok, one that fails every retry (and is poisoned) is failed.
func TestRouterCountsMessagesByOutcome(t *testing.T) {
	e := newEnv(t)
	m := metrics.New()
	opts := fastOptions()
	opts.Metrics = m
	flaky := 0
	rr := e.start(t, opts, func(r *workers.Router) {
		if err := r.AddHandler("counted", consumerConfig("wrk_counted"), func(msg *message.Message) error {
			switch {
			case strings.Contains(string(msg.Payload), "bad"):
				return errors.New("always fails")
			case strings.Contains(string(msg.Payload), "flaky") && flaky == 0:
				flaky++
				return errors.New("fails once")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	e.append(t, newAggregate(), "", "good", "flaky", "bad")
	settled(t, rr.nc, "wrk_counted")

	scrape := httptest.NewServer(m.Handler())
	defer scrape.Close()
	s := metricstest.Scrape(t, scrape.URL)
	for outcome, want := range map[string]float64{metrics.OutcomeOK: 2, metrics.OutcomeFailed: 1} {
		if got := s.Sum("authtrail_worker_messages_total", "worker", "counted", "outcome", outcome); got != want {
			t.Errorf("outcome %s = %v, want %v", outcome, got, want)
		}
	}
}
