package api

import (
	"context"
	"net/http"

	"github.com/authtrail/authtrail/metrics"
	"github.com/authtrail/authtrail/projections"
)

// observe wires the server's metrics: the HTTP series its middleware
// records, the projections' lag read at scrape time and, unless metrics.addr
// gives it a listener of its own, GET /metrics on the API's router.
func (s *Server) observe(m *metrics.Metrics, serveMetrics bool) {
	s.metrics = m
	if m == nil {
		return
	}
	if s.ReadModels != nil {
		m.SetProjectionLag(projectionLag(s.ReadModels.Host))
	}
	if serveMetrics {
		s.router.Handle("/metrics", m.Handler()).Methods(http.MethodGet)
	}
}

// projectionLag reads each projection's lag behind the log.
func projectionLag(host *projections.Host) metrics.LagSource {
	return func(ctx context.Context) (map[string]uint64, error) {
		statuses, err := host.Statuses(ctx)
		if err != nil {
			return nil, err
		}
		lags := make(map[string]uint64, len(statuses))
		for _, st := range statuses {
			lags[st.Name] = st.Lag
		}
		return lags, nil
	}
}
