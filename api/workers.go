package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/codekeys"
	"github.com/authtrail/authtrail/workers"
	"github.com/authtrail/authtrail/workers/connectors"
	"github.com/authtrail/authtrail/workers/delivery"
	"github.com/authtrail/authtrail/workers/publicstream"
	"github.com/authtrail/authtrail/workers/webhooks"
)

// WorkerOptions configure the workers a server runs beside its API.
type WorkerOptions struct {
	Store *eventstore.Store
	// Catalogue decodes every aggregate's events (Server.Catalogue).
	Catalogue map[string]domain.Registry
	// Email and SMS are the code connectors; nil: none of that kind.
	Email, SMS connectors.Sender
	Clock      domain.Clock
	Log        *slog.Logger
	// DeliveryBackoff are the waits between connector attempts (default
	// the delivery worker's).
	DeliveryBackoff []time.Duration
	// PublicURL is the source of the public CloudEvents (http.publicUrl).
	PublicURL string
	// PublicStreamMaxAge is AUTH_EVENTS' retention; 0 keeps everything.
	PublicStreamMaxAge time.Duration
	// Webhooks are the configured receivers (config webhooks).
	Webhooks []webhooks.Hook
	// WebhookClient sends the deliveries (default: a client of its own).
	WebhookClient *http.Client
	// WebhookOutcome is told each delivery's outcome, for metrics.
	WebhookOutcome func(outcome string)
	Router         workers.RouterOptions
	// Connectors are the server's methods with connector workers
	// (Server.Connectors), which exchange the providers' answers.
	Connectors []ConnectorMethod
}

// StartWorkers runs every worker on nc, which must be the workers' own
// connection (Watermill closes what it is given), until stop: the code
// delivery and the public event stream. The same wiring serves the binary
// and the tests.
func StartWorkers(ctx context.Context, nc *nats.Conn, o WorkerOptions) (stop func(), err error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	// The public events' source: without one, every event would be
	// refused by the schema and go to the poison queue.
	if u, err := url.Parse(o.PublicURL); err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("api: workers: PublicURL %q is not an absolute URL (the public events' source)", o.PublicURL)
	}
	if o.Router.Metrics == nil {
		o.Router.Metrics = o.Store.Metrics() // the workers count where the store counts
	}
	if o.Router.PoisonReplicas == 0 {
		o.Router.PoisonReplicas = o.Store.Replicas() // a cluster keeps its poison queue like its log
	}
	keys, err := codekeys.Open(ctx, o.Store.JetStream(), o.Store.Replicas())
	if err != nil {
		return nil, err
	}
	publicStream, err := publicstream.EnsureStream(ctx, o.Store.JetStream(), o.Store.Replicas(), o.PublicStreamMaxAge)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	public := publicstream.New(js, publicStream, o.PublicURL)
	for _, c := range o.Connectors {
		// An exchange may take the whole connector timeout.
		o.Router.HandlerTimeout = max(o.Router.HandlerTimeout, workers.DefaultHandlerTimeout, c.Timeout()+5*time.Second)
	}
	router, err := workers.NewRouter(nc, o.Log, o.Router)
	if err != nil {
		return nil, err
	}
	handlers := []struct {
		name     string
		consumer workers.ConsumerConfig
		handle   func(*message.Message) error
	}{
		{delivery.Name, delivery.Consumer(), delivery.New(delivery.Options{Store: o.Store, Events: o.Catalogue, Keys: keys,
			Email: o.Email, SMS: o.SMS, Clock: o.Clock, Log: o.Log, Backoff: o.DeliveryBackoff}).Handle},
		{publicstream.Name, public.Consumer(), public.Handle},
	}
	for _, c := range o.Connectors {
		w := c.Worker()
		handlers = append(handlers, struct {
			name     string
			consumer workers.ConsumerConfig
			handle   func(*message.Message) error
		}{w.Name(), w.Consumer(), w.Handle})
	}
	for _, h := range handlers {
		if err := router.AddHandler(h.name, h.consumer, h.handle); err != nil {
			return nil, err
		}
	}
	routers := []*workers.Router{router}
	if len(o.Webhooks) > 0 {
		hooks, err := webhookRouter(nc, o)
		if err != nil {
			return nil, err
		}
		routers = append(routers, hooks)
	}
	var stops []func()
	stopAll := func() {
		for _, s := range stops {
			s()
		}
	}
	for _, r := range routers {
		s, err := run(r, o.Log)
		if err != nil {
			stopAll()
			return nil, err
		}
		stops = append(stops, s)
	}
	var once sync.Once
	return func() { once.Do(stopAll) }, nil
}

// webhookRouter runs one handler per hook on a router without in-process
// retries: a hook's handler makes and records its own attempts, with its
// own waits, and may take that long.
func webhookRouter(nc *nats.Conn, o WorkerOptions) (*workers.Router, error) {
	opts := o.Router
	opts.Retry.MaxRetries = -1
	for _, h := range o.Webhooks {
		opts.HandlerTimeout = max(opts.HandlerTimeout, webhooks.HandlerTimeout(h))
	}
	r, err := workers.NewRouter(nc, o.Log, opts)
	if err != nil {
		return nil, err
	}
	client := o.WebhookClient
	if client == nil {
		client = &http.Client{}
	}
	outcome := o.WebhookOutcome
	if outcome == nil && o.Router.Metrics != nil {
		outcome = o.Router.Metrics.WebhookDelivery
	}
	wo := webhooks.Options{Store: o.Store, Catalogue: o.Catalogue, Client: client, Clock: o.Clock, Log: o.Log, Delivered: outcome}
	for _, h := range o.Webhooks {
		if err := r.AddHandler(webhooks.HandlerName(h), webhooks.Consumer(h), webhooks.New(wo, h).Handle); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// run runs a router until the returned stop.
func run(router *workers.Router, log *slog.Logger) (func(), error) {
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		if err := router.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("workers stopped", "err", err)
		}
		close(done)
	}()
	select {
	case <-router.Running():
	case <-done:
		cancel()
		return nil, errors.New("api: workers stopped while starting")
	case <-time.After(30 * time.Second):
		_ = router.Close()
		cancel()
		<-done
		return nil, errors.New("api: workers did not start in 30s")
	}
	return func() {
		_ = router.Close()
		cancel()
		<-done
	}, nil
}
