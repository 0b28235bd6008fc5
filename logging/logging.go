// Package logging builds the server's slog logger: JSON lines or text, at a
// level, and carrying the correlation id of the request (or message) whose
// context a line is logged with. It imports nothing of the module, so every
// floor may use it.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Formats of log.format.
const (
	JSON = "json"
	Text = "text"
)

// New returns a logger writing format (JSON or Text) to w at level, which
// adds correlationId to every line logged with a context that carries one.
func New(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if format == Text {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(correlated{h})
}

// ParseLevel reads debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown level %q (want debug, info, warn, error)", s)
}

// DefaultFormat is JSON unless f is a terminal, where a person reads text.
func DefaultFormat(f *os.File) string {
	if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
		return Text
	}
	return JSON
}
