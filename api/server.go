// Package api assembles authtrail's HTTP surface: the Experience API, the
// health check, and the middleware every request passes through.
package api

import (
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/logging"
	"github.com/authtrail/authtrail/metrics"
	"github.com/gorilla/mux"
)

// Server routes requests to the APIs.
type Server struct {
	// ReadModels are the projections the server started; Close stops them.
	ReadModels *ReadModels
	// Connectors are the methods whose connector workers StartWorkers
	// runs (WorkerOptions.Connectors): social sign-in and enterprise SSO.
	Connectors []ConnectorMethod
	router     *mux.Router
	log        *slog.Logger
	ready      atomic.Bool
	experience *experience.Handler
	// metrics records every request (nil: none); trustedProxies tell the
	// client's IP for the access log.
	metrics        *metrics.Metrics
	trustedProxies []netip.Prefix
}

// Mounter is an API that registers its routes on the router.
type Mounter interface{ Register(r *mux.Router) }

// NewServer mounts the Experience API and the other APIs. The health check
// answers 503 until SetReady(true).
func NewServer(exp *experience.Handler, log *slog.Logger, apis ...Mounter) *Server {
	s := &Server{router: mux.NewRouter(), log: log, experience: exp}
	s.router.Use(noteRoute)
	s.router.HandleFunc("/healthz", s.health).Methods(http.MethodGet)
	s.router.HandleFunc("/health/ready", s.health).Methods(http.MethodGet)
	s.router.HandleFunc("/health/alive", s.alive).Methods(http.MethodGet)
	s.router.HandleFunc("/api/openapi.json", s.openapi).Methods(http.MethodGet)
	exp.Register(s.router)
	for _, a := range apis {
		a.Register(s.router)
	}
	s.router.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.Error(w, r, s.log, domain.E("request.route_not_found"))
	})
	return s
}

// Close stops the server's projections.
func (s *Server) Close() {
	if s.ReadModels != nil {
		s.ReadModels.Stop()
	}
}

// SetReady flips the health check once the store, projections and HTTP are up.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		httpx.Error(w, r, s.log, domain.E("request.unavailable"))
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ServeHTTP adds a request id (the events' and the log lines' correlation
// id), turns a panic into Logto's bare 500 instead of a dropped connection,
// and records the request in the metrics and the access log.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := requestID(r)
	r.Header.Set("X-Request-Id", id)
	w.Header().Set("X-Request-Id", id)
	r = r.WithContext(logging.WithCorrelationID(r.Context(), id))
	rec := newAccessRecorder(w)
	w = rec
	defer s.logAccess(rec, r, start)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request", "path", r.URL.Path, "panic", v)
			httpx.Error(w, r, s.log, domain.E("unexpected"))
		}
	}()
	s.router.ServeHTTP(w, r)
}
