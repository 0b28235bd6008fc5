// Package metrics holds authtrail's Prometheus series on a registry of its
// own (not the global one, so parallel tests and two servers in one process
// do not share counters), and the /metrics handler. It imports nothing of
// the module, so every floor may record into it. A nil *Metrics records
// nothing: components take one as an option and need no check.
//
// Labels are bounded by construction: route templates, not paths; a fixed
// set of methods; event types, worker names and outcomes from code. No id,
// identifier or secret is ever a label.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Worker and webhook outcomes.
const (
	// OutcomeOK: the message was handled (a worker) or the receiver
	// answered 2xx (a webhook).
	OutcomeOK = "ok"
	// OutcomeFailed: a worker's handler still failed after its retries and
	// the message went to the poison queue; a webhook attempt that failed.
	OutcomeFailed = "failed"
)

// UnmatchedRoute labels requests no route matched, so that unknown paths
// cannot create series.
const UnmatchedRoute = "unmatched"

// Metrics is the set of series of one server.
type Metrics struct {
	registry          *prometheus.Registry
	httpRequests      *prometheus.CounterVec
	httpDuration      *prometheus.HistogramVec
	eventsAppended    *prometheus.CounterVec
	appendConflicts   prometheus.Counter
	aggregatesFull    *prometheus.CounterVec
	workerMessages    *prometheus.CounterVec
	webhookDeliveries *prometheus.CounterVec
	projectionLag     *lagCollector
}

// New returns the series registered on a fresh registry with the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authtrail_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "authtrail_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		eventsAppended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authtrail_events_appended_total",
			Help: "Events this process appended to the log, by event type.",
		}, []string{"type"}),
		appendConflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "authtrail_append_conflicts_total",
			Help: "Appends refused because an aggregate changed since it was loaded (the command is decided again).",
		}),
		aggregatesFull: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authtrail_aggregate_full_total",
			Help: "Appends refused because an aggregate reached the per-aggregate event limit, by aggregate type: alert on any; the aggregate needs an operator.",
		}, []string{"aggregate"}),
		workerMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authtrail_worker_messages_total",
			Help: "Messages a worker finished, by worker and outcome (ok, or failed after its retries: poisoned).",
		}, []string{"worker", "outcome"}),
		webhookDeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authtrail_webhook_deliveries_total",
			Help: "Webhook delivery attempts, by outcome.",
		}, []string{"outcome"}),
		projectionLag: newLagCollector(),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.eventsAppended, m.appendConflicts, m.aggregatesFull,
		m.workerMessages, m.webhookDeliveries, m.projectionLag,
	)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Registry is the registry the series are on, for a component that adds
// its own.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// ObserveHTTP records one answered request. route is the matched route's
// template (UnmatchedRoute when none matched), never the raw path.
func (m *Metrics) ObserveHTTP(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.httpRequests.WithLabelValues(route, methodLabel(method), strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(d.Seconds())
}

// EventAppended counts one event stored by an append.
func (m *Metrics) EventAppended(eventType string) {
	if m == nil {
		return
	}
	m.eventsAppended.WithLabelValues(eventType).Inc()
}

// AppendConflict counts one append refused as a conflict.
func (m *Metrics) AppendConflict() {
	if m == nil {
		return
	}
	m.appendConflicts.Inc()
}

// AggregateFull counts one append refused because an aggregate of the
// type is at its event limit.
func (m *Metrics) AggregateFull(aggregateType string) {
	if m == nil {
		return
	}
	m.aggregatesFull.WithLabelValues(aggregateType).Inc()
}

// WorkerMessage counts one message a worker finished with outcome
// (OutcomeOK or OutcomeFailed).
func (m *Metrics) WorkerMessage(worker, outcome string) {
	if m == nil {
		return
	}
	m.workerMessages.WithLabelValues(worker, outcome).Inc()
}

// WebhookDelivery counts one webhook delivery attempt with outcome
// (OutcomeOK, OutcomeFailed, or another constant of the caller's).
func (m *Metrics) WebhookDelivery(outcome string) {
	if m == nil {
		return
	}
	m.webhookDeliveries.WithLabelValues(outcome).Inc()
}

// methodLabel keeps the method label to the methods HTTP defines: a client
// can send any token as a method.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}
