package main

import (
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/authtrail/authtrail/logging"
)

// LogConfig: an empty Format is JSON, or text when stderr is a terminal.
type LogConfig struct {
	Format string `yaml:"format"` // json | text
	Level  string `yaml:"level"`  // debug | info | warn | error
}

// MetricsConfig: an empty Addr serves /metrics on http.addr, another gives
// it a listener of its own (so it can stay off a public address).
type MetricsConfig struct {
	Addr string `yaml:"addr"`
}

// logger is the server's logger on w; Validate has checked the keys.
func (l LogConfig) logger(w io.Writer) *slog.Logger {
	format := l.Format
	if format == "" {
		format = logging.JSON
		if f, ok := w.(*os.File); ok {
			format = logging.DefaultFormat(f)
		}
	}
	level, _ := logging.ParseLevel(l.Level)
	return logging.New(w, format, level)
}

func (c *Config) validateObservability(p *problems) {
	if c.Log.Format != "" {
		p.enum("log.format", c.Log.Format, logging.JSON, logging.Text)
	}
	if _, err := logging.ParseLevel(c.Log.Level); err != nil {
		p.enum("log.level", c.Log.Level, "debug", "info", "warn", "error")
	}
	if addr := c.Metrics.Addr; addr != "" {
		if _, port, err := net.SplitHostPort(addr); err != nil {
			p.addf("metrics.addr", "%q is not host:port", addr)
		} else if addr == c.HTTP.Addr && port != "0" { // port 0: two ports the system picks
			p.addf("metrics.addr", "%q is http.addr; leave metrics.addr empty to serve /metrics there", addr)
		}
	}
}
