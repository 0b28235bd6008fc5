package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/codekeys"
	"github.com/authtrail/authtrail/workers"
	"github.com/authtrail/authtrail/workers/connectors"
	"github.com/authtrail/authtrail/workers/delivery"
	"github.com/nats-io/nats.go"
)

// startWorkers runs the code delivery worker on its own NATS connection
// (watermill closes what it is given). The returned stop drains it.
func startWorkers(ctx context.Context, cfg Config, nc *nats.Conn, store *eventstore.Store, events map[string]domain.Registry, log *slog.Logger) (func(), error) {
	keys, err := codekeys.Open(ctx, store.JetStream(), store.Replicas())
	if err != nil {
		return nil, err
	}
	o := delivery.Options{Store: store, Events: events, Keys: keys, Log: log}
	if o.Email, err = emailSender(cfg.Connectors.Email, log); err != nil {
		return nil, err
	}
	o.SMS = smsSender(cfg.Connectors.SMS, log)
	router, err := workers.NewRouter(nc, log, workers.RouterOptions{})
	if err != nil {
		return nil, err
	}
	if err := router.AddHandler(delivery.Name, delivery.Consumer(), delivery.New(o).Handle); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		if err := router.Run(runCtx); err != nil {
			log.Error("workers stopped", "err", err)
		}
		close(done)
	}()
	select {
	case <-router.Running():
	case <-done:
	case <-time.After(30 * time.Second):
	}
	return func() {
		_ = router.Close()
		cancel()
		<-done
	}, nil
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
