package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/logging"
)

func TestJSONLinesCarryTheContextsCorrelationID(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := logging.New(&buf, logging.JSON, slog.LevelInfo)
	ctx := logging.WithCorrelationID(context.Background(), "abc")
	log.InfoContext(ctx, "request", "status", 200)
	log.With("component", "workers").WarnContext(ctx, "slow")
	log.Info("no context")
	log.Debug("below the level")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %d: %q", len(lines), buf.String())
	}
	for i, want := range []string{"abc", "abc", ""} {
		var line map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &line); err != nil {
			t.Fatalf("line %d is not JSON: %v", i, err)
		}
		for _, key := range []string{"time", "level", "msg"} {
			if _, ok := line[key]; !ok {
				t.Errorf("line %d has no %s: %s", i, key, lines[i])
			}
		}
		got, _ := line[logging.CorrelationKey].(string)
		if got != want {
			t.Errorf("line %d: correlationId %q, want %q", i, got, want)
		}
	}
}

func TestTextFormat(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logging.New(&buf, logging.Text, slog.LevelDebug).DebugContext(logging.WithCorrelationID(context.Background(), "r1"), "hello")
	if got := buf.String(); !strings.Contains(got, "level=DEBUG") || !strings.Contains(got, "correlationId=r1") {
		t.Errorf("text line = %q", got)
	}
}

func TestParseLevel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "WARN": slog.LevelWarn, "error": slog.LevelError} {
		if got, err := logging.ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := logging.ParseLevel("verbose"); err == nil {
		t.Error("verbose accepted")
	}
}

func TestDefaultFormatOfAFileIsJSON(t *testing.T) {
	t.Parallel()
	f, err := os.Create(t.TempDir() + "/log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := logging.DefaultFormat(f); got != logging.JSON {
		t.Errorf("DefaultFormat(file) = %q, want json", got)
	}
}
