package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers/connectors"
	"github.com/nats-io/nats.go"
)

// startWorkers runs the workers (api.StartWorkers) on their own NATS
// connection (Watermill closes what it is given). The returned stop drains
// them.
func startWorkers(ctx context.Context, cfg Config, nc *nats.Conn, store *eventstore.Store, srv *api.Server, log *slog.Logger) (func(), error) {
	o := api.WorkerOptions{Store: store, Catalogue: srv.Catalogue(), Log: log, PublicURL: cfg.HTTP.PublicURL,
		PublicStreamMaxAge: cfg.NATS.PublicStream.MaxAge.Duration, Webhooks: cfg.hooks(), Connectors: srv.Connectors}
	var err error
	if o.Email, err = emailSender(cfg.Connectors.Email, log); err != nil {
		return nil, err
	}
	o.SMS = smsSender(cfg.Connectors.SMS, log)
	return api.StartWorkers(ctx, nc, o)
}

func emailSender(c *EmailConnectorConfig, log *slog.Logger) (connectors.Sender, error) {
	switch {
	case c == nil:
		return nil, nil
	case c.Type == "console":
		return connectors.NewConsole("email", log), nil
	}
	s := c.SMTP
	return connectors.NewSMTP(connectors.SMTPConfig{Host: s.Host, Port: s.Port, Username: s.Username,
		Password: s.Password, From: s.From, TLS: s.TLS})
}

func smsSender(c *SMSConnectorConfig, log *slog.Logger) connectors.Sender {
	switch {
	case c == nil:
		return nil
	case c.Type == "console":
		return connectors.NewConsole("sms", log)
	}
	return connectors.NewSMSHTTP(connectors.SMSHTTPConfig{URL: c.HTTP.URL, Headers: c.HTTP.Headers},
		&http.Client{Timeout: 10 * time.Second})
}
