package workers_test

import (
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/authtrail/authtrail/logging"
	"github.com/authtrail/authtrail/workers"
)

// A handler's context carries the event's correlation id, so its log
// lines do.
func TestHandlersSeeTheEventsCorrelationID(t *testing.T) {
	e := newEnv(t)
	got := make(chan string, 1)
	e.start(t, fastOptions(), func(r *workers.Router) {
		if err := r.AddHandler("corr", consumerConfig("wrk_corr"), func(m *message.Message) error {
			got <- logging.CorrelationID(m.Context())
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	e.append(t, newAggregate(), "abc", "x")
	select {
	case id := <-got:
		if id != "abc" {
			t.Fatalf("correlation id %q, want abc", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never ran")
	}
}
