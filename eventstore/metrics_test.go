package eventstore_test

import (
	"net/http/httptest"
	"testing"

	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/metrics"
	"github.com/authtrail/authtrail/metrics/metricstest"
)

// The store counts each event it stored once, by type, and each refused
// append as a conflict, forced or real.
func TestStoreCountsAppendedEventsAndConflicts(t *testing.T) {
	srv := newServer(t)
	m := metrics.New()
	scrape := httptest.NewServer(m.Handler())
	defer scrape.Close()
	store := srv.open(t, eventstore.Config{Metrics: m, ForceConflicts: func(attempt int) bool { return attempt == 1 }})
	subject := newSubject("interaction")

	appendOne(t, store, subject, 0, 0, "started")
	if _, err := store.Append(testContext(t), eventstore.Metadata{}, eventstore.Write{Subject: subject, ExpectedSeq: 0,
		Events: []eventstore.Pending{note("stale")}}); err == nil {
		t.Fatal("a stale append was accepted")
	}
	err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		if _, err := tx.Load(testContext(t), subject); err != nil {
			return err
		}
		tx.Append(subject, noted{Text: "one"}, renamed{Name: "two"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	s := metricstest.Scrape(t, scrape.URL)
	if got := s.Sum("authtrail_events_appended_total", "type", "test.noted"); got != 2 {
		t.Errorf("test.noted appended = %v, want 2 (started, one)", got)
	}
	if got := s.Sum("authtrail_events_appended_total", "type", "test.renamed"); got != 1 {
		t.Errorf("test.renamed appended = %v, want 1", got)
	}
	// The stale append and the forced conflict of the command's first commit.
	if got := s.Sum("authtrail_append_conflicts_total"); got != 2 {
		t.Errorf("conflicts = %v, want 2", got)
	}
}
