package experience_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
)

// An aggregate at the store's per-aggregate limit refuses its next append:
// the request answers 503 request.aggregate_full, not a bare 500, and the
// metric an operator alerts on counts it.
func TestAFullAggregateIsAClearErrorAndAnAlert(t *testing.T) {
	cfg := apitest.StoreConfig()
	cfg.MaxEventsPerAggregate = 3
	srv := apitest.NewServer(t, apitest.Options{StoreConfig: &cfg})
	c := srv.Client(t)
	start(t, c, "SignIn")
	wrong := map[string]any{"identifier": map[string]string{"type": "username", "value": "nobody"}, "password": "Wr0ng!pass"}
	var r *apitest.Response
	for range 5 {
		if r = c.Do(http.MethodPost, "/api/experience/verification/password", wrong); r.Status != http.StatusUnprocessableEntity {
			break
		}
	}
	if r.Status != http.StatusServiceUnavailable || r.Code() != "request.aggregate_full" {
		t.Fatalf("at the limit: %d %s, want 503 request.aggregate_full", r.Status, r.Body)
	}
	metrics := srv.Client(t).Do(http.MethodGet, "/metrics", nil)
	if !strings.Contains(string(metrics.Body), `authtrail_aggregate_full_total{aggregate="`) {
		t.Fatalf("no authtrail_aggregate_full_total series:\n%.2000s", metrics.Body)
	}
}
