package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
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

	// Each client spreads its sends over interactions of its own, a few
	// sends each, as sign-ins do (one interaction holding thousands of
	// records would measure its fold instead).
	const interactionsPerClient = 200
	cs := make([][]*client, clients)
	for w := range cs {
		for range interactionsPerClient {
			c := newClient(r.url, transport, true)
			if err := c.call(ctx, "PUT", "/api/experience", map[string]string{"interactionEvent": "SignIn"}, 204, nil); err != nil {
				return "", err
			}
			cs[w] = append(cs[w], c)
		}
	}
	var n atomic.Int64
	next := make([]int, clients)
	before := r.smtp.Count()
	requested := 0
	// Between turns the deliveries catch up, so the bare appends' turns run
	// undisturbed; the drain is not timed.
	drain := func() error {
		begin := time.Now()
		for r.smtp.Count()-before < requested && time.Since(begin) < 2*d {
			time.Sleep(5 * time.Millisecond)
		}
		return nil
	}
	var drained time.Duration
	api := phase{op: func(ctx context.Context, w int) error {
		c := cs[w][next[w]%interactionsPerClient]
		next[w]++
		to := fmt.Sprintf("bench%d@example.com", n.Add(1))
		return c.call(ctx, "POST", "/api/experience/verification/verification-code",
			map[string]any{"identifier": map[string]string{"type": "email", "value": to}, "interactionEvent": "SignIn"}, 200, nil)
	}, after: func() error {
		requested = int(n.Load())
		t := time.Now()
		err := drain()
		drained += time.Since(t)
		return err
	}}
	rounds := max(6, int(d/(2*startRound)))
	all, perRound, err := alternatePhases(ctx, clients, d, rounds, phase{op: bareAppends(r.store)}, api)
	if err != nil {
		return "", err
	}
	requests := all[1]
	delivered := r.smtp.Count() - before
	perRecipient := map[string]int{}
	for _, m := range r.smtp.Mail() {
		for _, to := range m.To {
			perRecipient[to]++
		}
	}
	twice := 0
	for _, k := range perRecipient {
		if k > 1 {
			twice++
		}
	}
	// The delivered rate: mails over the time the API turns and their
	// drains took.
	elapsed := requests.elapsed + drained
	var b strings.Builder
	fmt.Fprintf(&b, "email code requests at %d concurrent clients (API, event, worker, SMTP server; %d rounds, order rotating):\n", clients, rounds)
	fmt.Fprintf(&b, "  bare appends    %s\n", all[0])
	fmt.Fprintf(&b, "  API requests    %s\n", requests)
	fmt.Fprintf(&b, "    throughput    %6.2f of bare over all rounds, median round %.2f (target >= 0.5)\n",
		requests.perSecond()/all[0].perSecond(), median(roundRatios(perRound, 1, 0)))
	fmt.Fprintf(&b, "  delivered       %8.1f/s  (%d of %d mails in %v; %.2f of the API rate, target >= 0.9; %d recipients mailed twice)\n",
		float64(delivered)/elapsed.Seconds(), delivered, requests.ops, elapsed.Round(time.Millisecond),
		float64(delivered)/elapsed.Seconds()/requests.perSecond(), twice)
	return b.String(), nil
}
