package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/webhook"
	"github.com/authtrail/authtrail/eventstore/embedded"
	"github.com/authtrail/authtrail/workers/publicstream"
	"github.com/authtrail/authtrail/workers/webhooks"
)

// sseSubscribers is how many server-sent-event streams run during the
// rounds with the downstream doors open.
const sseSubscribers = 10

// measureDownstream runs password sign-ins in alternating rounds with the
// downstream doors open (the public-stream worker, one webhook to a
// receiver that sleeps 5 s per call, and 10 server-sent-event subscribers)
// and closed, and measures how long each event appended while they are
// open takes to be readable as a CloudEvent in AUTH_EVENTS: the two
// messages' stored times, both from the server's clock, read after the
// round so that measuring costs the round nothing.
func measureDownstream(ctx context.Context, r *rig, transport http.RoundTripper, workers int, d time.Duration) (string, error) {
	clients, names, err := registerThroughNewServer(ctx, r, transport, workers)
	if err != nil {
		return "", err
	}
	sleepy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer sleepy.Close()
	// A server of its own serves the event streams (they read the log, not
	// a read model), with a read_all client.
	_, sseTS, stopSSE, err := r.server(ctx, "downstream", func(o *api.Options) {
		o.APIClients = []onelogin.Client{{ID: "auditor", Secret: "auditor-secret-1234", Scope: onelogin.ScopeReadAll}}
	})
	if err != nil {
		return "", err
	}
	defer stopSSE()
	token, err := clientToken(ctx, sseTS.URL)
	if err != nil {
		return "", err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	events, err := r.store.JetStream().Stream(ctx, r.store.Stream())
	if err != nil {
		return "", err
	}

	var (
		public      jetstream.Stream // once the worker made it
		stopWorkers func()
		subs        []context.CancelFunc
		roundFrom   uint64 // the log's last seq when the round began
		delays      []time.Duration
	)
	open := func() error {
		nc, err := embedded.Connect(r.ns, "bench-downstream")
		if err != nil {
			return err
		}
		stopWorkers, err = api.StartWorkers(ctx, nc, api.WorkerOptions{Store: r.store, Catalogue: r.events, Log: quiet,
			PublicURL: "http://localhost:3001", Webhooks: []webhooks.Hook{{ID: "sleepy", URL: sleepy.URL, Events: []string{webhook.PostSignIn},
				SigningKey: "bench", Timeout: 10 * time.Second}}})
		if err != nil {
			return err
		}
		for range sseSubscribers {
			subCtx, cancel := context.WithCancel(ctx)
			subs = append(subs, cancel)
			go subscribe(subCtx, sseTS.URL, token)
		}
		if public, err = r.store.JetStream().Stream(ctx, publicstream.Stream); err != nil {
			return err
		}
		// The backlog of the rounds closed is published before timing.
		if err := waitPublishedUpTo(ctx, events, public); err != nil {
			return err
		}
		roundFrom, err = lastSeq(ctx, events)
		return err
	}
	closeDoors := func() error {
		if roundFrom != 0 {
			if err := waitPublishedUpTo(ctx, events, public); err != nil {
				return err
			}
			d, err := publishDelays(ctx, r.store.JetStream(), events, roundFrom)
			if err != nil {
				return err
			}
			delays = append(delays, d...)
			roundFrom = 0
		}
		for _, cancel := range subs {
			cancel()
		}
		subs = nil
		if stopWorkers != nil {
			stopWorkers()
			stopWorkers = nil
		}
		return nil
	}
	defer func() { _ = closeDoors() }()
	signIn := func(ctx context.Context, w int) error { return clients[w].signIn(ctx, names[w]) }
	with := phase{op: signIn, before: open, after: closeDoors}
	without := phase{op: signIn}
	rounds := max(4, int(d/signInRound))
	all, perRound, err := alternatePhases(ctx, workers, d, rounds, with, without)
	if err != nil {
		return "", err
	}
	ratios := roundRatios(perRound, 0, 1)
	var b strings.Builder
	fmt.Fprintf(&b, "password sign-ins at %d concurrent clients with the public-stream worker, a webhook to a receiver sleeping 5 s per call and %d server-sent-event subscribers, vs none of them (%d rounds, order rotating):\n",
		workers, sseSubscribers, rounds)
	fmt.Fprintf(&b, "  with             %s\n", all[0])
	fmt.Fprintf(&b, "  without          %s\n", all[1])
	fmt.Fprintf(&b, "  ratio            %6.2f over all rounds, median round %.2f, middle half %s (target >= 0.9)\n",
		all[0].perSecond()/all[1].perSecond(), median(ratios), middleHalf(ratios))
	fmt.Fprintf(&b, "  append to CloudEvent readable in AUTH_EVENTS: %s (%d public events; target p99 <= 200ms)\n", lagString(delays), len(delays))
	return b.String(), nil
}

// subscribe reads an event stream until ctx ends.
func subscribe(ctx context.Context, base, token string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/admin/events/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
	}
}

func clientToken(ctx context.Context, base string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+onelogin.TokenPath, strings.NewReader(`{"grant_type":"client_credentials"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("auditor", "auditor-secret-1234")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	_, rest, ok := strings.Cut(string(body), `"access_token":"`)
	token, _, _ := strings.Cut(rest, `"`)
	if !ok || token == "" {
		return "", fmt.Errorf("token: %d %s", resp.StatusCode, body)
	}
	return token, nil
}

// lastPublished is the log sequence of the last CloudEvent in AUTH_EVENTS.
func lastPublished(ctx context.Context, public jetstream.Stream) uint64 {
	m, err := public.GetLastMsgForSubject(ctx, publicstream.SubjectPrefix+".>")
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(m.Header.Get(publicstream.HeaderSeq), 10, 64)
	return n
}

// lastInteractionEvent is the sequence of the log's last interaction event
// (always public).
func lastInteractionEvent(ctx context.Context, events jetstream.Stream) (uint64, error) {
	m, err := events.GetLastMsgForSubject(ctx, "events.interaction.>")
	if err != nil {
		return 0, err
	}
	return m.Sequence, nil
}

func waitPublishedUpTo(ctx context.Context, events, public jetstream.Stream) error {
	seq, err := lastInteractionEvent(ctx, events)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for lastPublished(ctx, public) < seq {
		if time.Now().After(deadline) {
			return fmt.Errorf("AUTH_EVENTS did not reach event %d", seq)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

func lastSeq(ctx context.Context, s jetstream.Stream) (uint64, error) {
	info, err := s.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}

// publishDelays is, for every public event appended after seq from, the
// time from its append to its CloudEvent's, both stamped by the server.
// The caller has waited for the CloudEvents to be published.
func publishDelays(ctx context.Context, js jetstream.JetStream, events jetstream.Stream, from uint64) ([]time.Duration, error) {
	to, err := lastSeq(ctx, events)
	if err != nil || to <= from {
		return nil, err
	}
	appended := map[uint64]time.Time{}
	err = readStream(ctx, js, events.CachedInfo().Config.Name, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: from + 1},
		func(m jetstream.Msg, md *jetstream.MsgMetadata) bool {
			appended[md.Sequence.Stream] = md.Timestamp
			return md.Sequence.Stream < to
		})
	if err != nil {
		return nil, err
	}
	// No CloudEvent of those events is older than the first of them.
	start := appended[from+1]
	var delays []time.Duration
	err = readStream(ctx, js, publicstream.Stream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &start},
		func(m jetstream.Msg, md *jetstream.MsgMetadata) bool {
			seq, _ := strconv.ParseUint(m.Headers().Get(publicstream.HeaderSeq), 10, 64)
			if t, ok := appended[seq]; ok {
				delays = append(delays, md.Timestamp.Sub(t))
			}
			return seq < to && md.NumPending > 0
		})
	return delays, err
}

// readStream hands each message of a stream from cfg's start to each
// until it returns false.
func readStream(ctx context.Context, js jetstream.JetStream, stream string, cfg jetstream.OrderedConsumerConfig,
	each func(jetstream.Msg, *jetstream.MsgMetadata) bool) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, stream, cfg)
	if err != nil {
		return err
	}
	msgs, err := cons.Messages()
	if err != nil {
		return err
	}
	defer msgs.Stop()
	for {
		m, err := msgs.Next(jetstream.NextContext(ctx))
		if err != nil {
			return err
		}
		md, err := m.Metadata()
		if err != nil {
			return err
		}
		if !each(m, md) {
			return nil
		}
	}
}
