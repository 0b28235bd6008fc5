package connectors

import (
	"context"
	"log/slog"
)

type consoleSender struct {
	channel string
	log     *slog.Logger
}

// NewConsole returns a Sender that writes each message, code included, to
// log instead of delivering it. It is for development only, and says so
// when created.
func NewConsole(channel string, log *slog.Logger) Sender {
	if log == nil {
		log = slog.Default()
	}
	log = log.With("connector", "console", "channel", channel)
	log.Warn("console connector in use: verification codes are written to the log, not delivered; for development only")
	return &consoleSender{channel: channel, log: log}
}

func (c *consoleSender) Send(ctx context.Context, m Message) error {
	subject, text := Render(m)
	c.log.InfoContext(ctx, "verification code",
		"to", m.To, "template", m.Template, "code", m.Code, "subject", subject, "text", text)
	return nil
}
