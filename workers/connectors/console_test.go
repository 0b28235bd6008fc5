package connectors_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/workers/connectors"
)

func TestConsoleLogsTheMessageAndWarnsAtStart(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	sender := connectors.NewConsole(connectors.ChannelEmail, log)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "development only") {
		t.Errorf("construction logged %q, want one development-only warning", buf.String())
	}

	buf.Reset()
	if err := sender.Send(testContext(t), signIn); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	for _, want := range []string{"level=INFO", "code=123456", "to=ada@example.com", "template=SignIn", "channel=email"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}
}
