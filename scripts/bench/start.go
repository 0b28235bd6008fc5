package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// measureStarts compares PUT /api/experience (a new interaction: one
// expected-sequence append) with bare appends of the same shape.
func measureStarts(ctx context.Context, base string, transport http.RoundTripper, store *eventstore.Store, clients int, d time.Duration) (string, error) {
	js := store.JetStream()
	var n atomic.Uint64
	ids := domain.RandomIDs{}
	bare := func(ctx context.Context, _ int) error {
		msg := nats.NewMsg("events.benchbare." + strconv.FormatUint(n.Add(1), 10))
		msg.Data = []byte(`{"interactionEvent":"SignIn","expiresAt":"2026-11-23T11:00:00Z"}`)
		msg.Header.Set("Ev-Type", "interaction.started")
		_, err := js.PublishMsg(ctx, msg, jetstream.WithExpectStream(store.Stream()),
			jetstream.WithExpectLastSequencePerSubject(0), jetstream.WithMsgID(ids.NewID()))
		return err
	}
	cs := make([]*client, clients)
	for i := range cs {
		cs[i] = newClient(base, transport, false)
	}
	engine := func(ctx context.Context, w int) error {
		return cs[w].call(ctx, "PUT", "/api/experience", map[string]string{"interactionEvent": "SignIn"}, 204, nil)
	}
	// The disk's fsync latency drifts by tens of percent within seconds on
	// shared machines, so the two loads alternate in short rounds and are
	// compared over all rounds.
	const rounds = 6
	var engineAll, bareAll result
	for i := 0; i < rounds; i++ {
		b, err := load(ctx, clients, d/rounds, bare)
		if err != nil {
			return "", err
		}
		e, err := load(ctx, clients, d/rounds, engine)
		if err != nil {
			return "", err
		}
		bareAll = bareAll.add(b)
		engineAll = engineAll.add(e)
	}
	return fmt.Sprintf("PUT /api/experience at %d concurrent clients, fsync on (%d alternating rounds):\n"+
		"  engine          %s\n  bare appends    %s\n"+
		"  throughput      %8.2f of bare (target >= 0.8)\n  p99             %8.2f x bare's (target <= 1.5)\n",
		clients, rounds, engineAll, bareAll, engineAll.perSecond()/bareAll.perSecond(),
		float64(engineAll.percentile(0.99))/float64(bareAll.percentile(0.99))), nil
}
