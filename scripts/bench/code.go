package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/authtrail/authtrail/eventstore/codekeys"
	"github.com/authtrail/authtrail/eventstore/embedded"
	"github.com/authtrail/authtrail/workers"
	"github.com/authtrail/authtrail/workers/connectors"
	"github.com/authtrail/authtrail/workers/delivery"
)

// measureCodes requests email codes for distinct recipients (the send cap
// is per recipient) while the delivery worker sends them to the SMTP server,
// and reports the API's rate and latency and the delivered rate.
func measureCodes(ctx context.Context, r *rig, transport http.RoundTripper, clients int, d time.Duration) (string, error) {
	nc, err := embedded.Connect(r.ns, "bench-workers")
	if err != nil {
		return "", err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	keys, err := codekeys.Open(ctx, r.store.JetStream(), 1)
	if err != nil {
		return "", err
	}
	email, err := connectors.NewSMTP(connectors.SMTPConfig{Host: r.smtp.Host, Port: r.smtp.Port, From: "bench@example.com", TLS: "none"})
	if err != nil {
		return "", err
	}
	router, err := workers.NewRouter(nc, log, workers.RouterOptions{})
	if err != nil {
		return "", err
	}
	if err := router.AddHandler(delivery.Name, delivery.Consumer(), delivery.New(delivery.Options{Store: r.store, Events: r.events, Keys: keys, Email: email, Log: log}).Handle); err != nil {
		return "", err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = router.Run(runCtx) }()
	<-router.Running()
	defer router.Close()

	cs := make([]*client, clients)
	for i := range cs {
		cs[i] = newClient(r.url, transport, true)
		if err := cs[i].call(ctx, "PUT", "/api/experience", map[string]string{"interactionEvent": "SignIn"}, 204, nil); err != nil {
			return "", err
		}
	}
	var n atomic.Int64
	before := r.smtp.Count()
	requests, err := load(ctx, clients, d, func(ctx context.Context, w int) error {
		to := fmt.Sprintf("bench%d@example.com", n.Add(1))
		return cs[w].call(ctx, "POST", "/api/experience/verification/verification-code",
			map[string]any{"identifier": map[string]string{"type": "email", "value": to}, "interactionEvent": "SignIn"}, 200, nil)
	})
	if err != nil {
		return "", err
	}
	// Delivery is asynchronous: wait for the backlog, bounded.
	begin := time.Now()
	for r.smtp.Count()-before < requests.ops && time.Since(begin) < 2*d {
		time.Sleep(20 * time.Millisecond)
	}
	delivered := r.smtp.Count() - before
	elapsed := requests.elapsed + time.Since(begin)
	return fmt.Sprintf("email code requests at %d concurrent clients (API, event, worker, SMTP server):\n"+
		"  API requests    %s\n  delivered       %8.1f/s  (%d of %d mails in %v)\n",
		clients, requests, float64(delivered)/elapsed.Seconds(), delivered, requests.ops, elapsed.Round(time.Millisecond)), nil
}
