package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/authtrail/authtrail/metrics"
)

// serveMetrics serves GET /metrics alone on addr (metrics.addr), so that it
// can stay on a private address while the API is public. stop closes it.
func serveMetrics(addr string, m *metrics.Metrics, log *slog.Logger, stdout io.Writer) (stop func(context.Context) error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics.addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	log.Info("authtrail metrics", "addr", ln.Addr().String())
	fmt.Fprintf(stdout, "authtrail metrics on http://%s/metrics\n", ln.Addr())
	return srv.Shutdown, nil
}
