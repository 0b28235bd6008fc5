package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/metrics"
)

// maxRequestIDLength bounds a client's X-Request-Id: it is stored on every
// event the request writes and printed on every line it logs.
const maxRequestIDLength = 128

// requestID is the client's X-Request-Id when it is a plausible id (1 to
// 128 visible ASCII characters), else a fresh one, so that a client cannot
// put line breaks, spaces or kilobytes into the log and the events.
func requestID(r *http.Request) string {
	id := r.Header.Get("X-Request-Id")
	if id == "" || len(id) > maxRequestIDLength {
		return domain.RandomIDs{}.NewID()
	}
	for i := range len(id) {
		if id[i] < 0x21 || id[i] > 0x7e {
			return domain.RandomIDs{}.NewID()
		}
	}
	return id
}

// accessRecorder remembers the status a request was answered with and the
// template of the route that served it.
type accessRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	route       string
}

func newAccessRecorder(w http.ResponseWriter) *accessRecorder {
	return &accessRecorder{ResponseWriter: w, status: http.StatusOK, route: metrics.UnmatchedRoute}
}

func (a *accessRecorder) WriteHeader(status int) {
	if !a.wroteHeader {
		a.status, a.wroteHeader = status, true
	}
	a.ResponseWriter.WriteHeader(status)
}

func (a *accessRecorder) Write(b []byte) (int, error) {
	a.wroteHeader = true
	return a.ResponseWriter.Write(b)
}

// Flush lets a streaming handler that asserts http.Flusher flush through.
func (a *accessRecorder) Flush() { _ = http.NewResponseController(a.ResponseWriter).Flush() }

// Unwrap lets http.ResponseController reach the underlying writer.
func (a *accessRecorder) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// noteRoute is the router's middleware that tells the recorder which route
// matched: the metrics and the log name the template (/api/2/users/{id}),
// never the path, whose ids would make every request a series of its own.
func noteRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec, ok := w.(*accessRecorder); ok {
			if route := mux.CurrentRoute(r); route != nil {
				if template, err := route.GetPathTemplate(); err == nil {
					rec.route = template
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// logAccess records the answered request in the metrics and as one log
// line. It names no body, cookie, header or query string: they may hold
// passwords, codes and tokens. The correlation id comes from r's context.
func (s *Server) logAccess(rec *accessRecorder, r *http.Request, start time.Time) {
	elapsed := time.Since(start)
	s.metrics.ObserveHTTP(rec.route, r.Method, rec.status, elapsed)
	level := slog.LevelInfo
	if rec.status >= http.StatusInternalServerError {
		level = slog.LevelError
	}
	s.log.LogAttrs(r.Context(), level, "request",
		slog.String("method", r.Method),
		slog.String("route", rec.route),
		slog.Int("status", rec.status),
		slog.Float64("durationMs", float64(elapsed.Microseconds())/1000),
		slog.String("ip", httpx.ClientIP(r, s.trustedProxies)),
	)
}
