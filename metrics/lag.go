package metrics

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// lagReadTimeout bounds the read of the projections' lag during a scrape,
// so a slow store cannot hang /metrics.
const lagReadTimeout = 2 * time.Second

// LagSource reports how many events each projection has yet to apply, by
// projection name.
type LagSource func(ctx context.Context) (map[string]uint64, error)

// SetProjectionLag makes scrapes read the projections' lag from source
// (nil: no lag series). It replaces an earlier source, so a restarted
// server in the same process reports its own projections.
func (m *Metrics) SetProjectionLag(source LagSource) {
	if m == nil {
		return
	}
	m.projectionLag.set(source)
}

// lagCollector reads the lag at scrape time: it is a property of the read
// models' checkpoints against the log, not something counted as it happens.
type lagCollector struct {
	desc   *prometheus.Desc
	mu     sync.Mutex
	source LagSource
}

func newLagCollector() *lagCollector {
	return &lagCollector{desc: prometheus.NewDesc("authtrail_projection_lag_events",
		"Events in the log that a projection's live version has not applied yet.", []string{"projection"}, nil)}
}

func (c *lagCollector) set(source LagSource) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.source = source
}

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect reports nothing when the source is unset or cannot answer: a
// missing series alerts better than a stale number.
func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	source := c.source
	c.mu.Unlock()
	if source == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), lagReadTimeout)
	defer cancel()
	lags, err := source(ctx)
	if err != nil {
		return
	}
	names := make([]string, 0, len(lags))
	for name := range lags {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(lags[name]), name)
	}
}
