package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startRound is how long each load runs before the next one takes over:
// a shared disk's fsync latency drifts by tens of percent within seconds.
const startRound = 500 * time.Millisecond

// measureStarts compares PUT /api/experience (a new interaction: one
// expected-sequence append) with bare appends of the same payload. The
// engine is driven twice: by a lean keep-alive client (the figure; see
// rawClient) and by Go's http.Client, whose own cost is shown beside it.
func measureStarts(ctx context.Context, base string, transport http.RoundTripper, store *eventstore.Store, clients int, d time.Duration) (string, error) {
	bare := bareAppends(store)
	lean := make([]*rawClient, clients)
	goClients := make([]*client, clients)
	for i := range lean {
		var err error
		if lean[i], err = newRawClient(base, "PUT", "/api/experience", `{"interactionEvent":"SignIn"}`); err != nil {
			return "", err
		}
		defer lean[i].close()
		goClients[i] = newClient(base, transport, false)
	}
	loads := []func(ctx context.Context, w int) error{
		bare,
		func(ctx context.Context, w int) error { return lean[w].do(http.StatusNoContent) },
		func(ctx context.Context, w int) error {
			return goClients[w].call(ctx, "PUT", "/api/experience", map[string]string{"interactionEvent": "SignIn"}, 204, nil)
		},
	}
	rounds := max(6, int(d/startRound))
	resetPeakRSS()
	all, perRound, err := alternate(ctx, clients, d, rounds, loads...)
	if err != nil {
		return "", err
	}
	peak := peakRSS()
	leanRatios, goRatios := roundRatios(perRound, 1, 0), roundRatios(perRound, 2, 0)
	bareAll, leanAll, goAll := all[0], all[1], all[2]
	var b strings.Builder
	fmt.Fprintf(&b, "PUT /api/experience at %d concurrent clients, fsync on (%d rounds of %v each, order rotating):\n", clients, rounds, d/time.Duration(rounds))
	fmt.Fprintf(&b, "  bare appends        %s\n", bareAll)
	fmt.Fprintf(&b, "  engine, lean client %s\n", leanAll)
	fmt.Fprintf(&b, "    throughput        %6.2f of bare over all rounds, median round %.2f, middle half %s (target >= 0.8)\n",
		leanAll.perSecond()/bareAll.perSecond(), median(leanRatios), middleHalf(leanRatios))
	fmt.Fprintf(&b, "    p99               %6.2f x bare's (target <= 1.5)\n", ratio(leanAll.percentile(0.99), bareAll.percentile(0.99)))
	fmt.Fprintf(&b, "  engine, http.Client %s\n", goAll)
	fmt.Fprintf(&b, "    throughput        %6.2f of bare over all rounds, median round %.2f\n",
		goAll.perSecond()/bareAll.perSecond(), median(goRatios))
	fmt.Fprintf(&b, "    p99               %6.2f x bare's\n", ratio(goAll.percentile(0.99), bareAll.percentile(0.99)))
	fmt.Fprintf(&b, "  peak RSS            %.0f MiB (target <= 200 MiB; the process holds server, NATS and clients)\n", peak)
	return b.String(), nil
}

// bareAppends is the baseline of every append-bound figure: one fsync'd
// single-subject publish of a small event to a new subject, with the
// expectations and message id the store sends, and nothing else.
func bareAppends(store *eventstore.Store) func(ctx context.Context, w int) error {
	js := store.JetStream()
	ids := domain.RandomIDs{}
	return func(ctx context.Context, _ int) error {
		// A subject of its own: every measurement's baseline shares the stream.
		msg := nats.NewMsg("events.benchbare." + ids.NewID())
		msg.Data = []byte(`{"interactionEvent":"SignIn","expiresAt":"2026-11-23T11:00:00Z"}`)
		msg.Header.Set("Ev-Type", "interaction.started")
		_, err := js.PublishMsg(ctx, msg, jetstream.WithExpectStream(store.Stream()),
			jetstream.WithExpectLastSequencePerSubject(0), jetstream.WithMsgID(ids.NewID()))
		return err
	}
}
