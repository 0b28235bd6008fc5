package eventstore_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/authtrail/authtrail/eventstore"
)

// The stored headers are the event envelope (envelope.go: id, type, schema,
// aggregate, version, time, actor, correlation, causation); metadata left
// empty is left out rather than stored empty.
func TestStoredHeadersAreTheEnvelope(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	ctx := testContext(t)
	at := time.Date(2026, 11, 23, 10, 0, 0, 5, time.UTC)
	for name, tc := range map[string]struct {
		meta     eventstore.Metadata
		optional []string
	}{
		"full": {
			meta:     eventstore.Metadata{Time: at, Actor: "user:1", CorrelationID: "req-1", CausationID: "cmd-1"},
			optional: []string{eventstore.HeaderActor, eventstore.HeaderCausationID, eventstore.HeaderCorrelationID},
		},
		"bare": {meta: eventstore.Metadata{Time: at}},
	} {
		t.Run(name, func(t *testing.T) {
			subject := newSubject("interaction")
			envs, err := store.Append(ctx, tc.meta, eventstore.Write{Subject: subject, Events: []eventstore.Pending{note("x")}})
			if err != nil {
				t.Fatal(err)
			}
			env := envs[0]
			stream, err := store.JetStream().Stream(ctx, store.Stream())
			if err != nil {
				t.Fatal(err)
			}
			msg, err := stream.GetMsg(ctx, env.Seq)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				eventstore.HeaderMsgID: env.ID, eventstore.HeaderWatermillUUID: env.ID,
				eventstore.HeaderType: "test.noted", eventstore.HeaderSchema: "1",
				eventstore.HeaderAggType: env.AggType, eventstore.HeaderAggID: env.AggID,
				eventstore.HeaderAggVersion: "1", eventstore.HeaderTime: "2026-11-23T10:00:00.000000005Z",
			}
			for _, h := range tc.optional {
				want[h] = map[string]string{eventstore.HeaderActor: "user:1", eventstore.HeaderCorrelationID: "req-1",
					eventstore.HeaderCausationID: "cmd-1"}[h]
			}
			for h, v := range want {
				if got := msg.Header.Values(h); len(got) != 1 || got[0] != v {
					t.Errorf("header %s = %q, want %q", h, got, v)
				}
			}
			for h := range msg.Header {
				if _, ok := want[h]; !ok && !slices.Contains(serverHeaders, h) {
					t.Errorf("unexpected header %s = %q (want only %v)", h, msg.Header.Values(h), slices.Sorted(maps.Keys(want)))
				}
			}
		})
	}
}

// The server may keep the expectations an append sent, and a direct get
// answers with where the message is stored.
var serverHeaders = []string{
	"Nats-Expected-Stream", "Nats-Expected-Last-Subject-Sequence",
	"Nats-Stream", "Nats-Sequence", "Nats-Time-Stamp", "Nats-Subject",
}
