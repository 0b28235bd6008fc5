package publicstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/natstest"
	"github.com/authtrail/authtrail/workers/publicstream"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// publicEvents are the log's public events, oldest first.
func publicEvents(t *testing.T, store *eventstore.Store) []eventstore.Envelope {
	t.Helper()
	var out []eventstore.Envelope
	err := store.Scan(testContext(t), func(env eventstore.Envelope) error {
		if publicstream.Public(env.AggType) {
			out = append(out, env)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// published reads AUTH_EVENTS from the start.
func published(t *testing.T, js jetstream.JetStream) []jetstream.RawStreamMsg {
	t.Helper()
	ctx := testContext(t)
	s, err := js.Stream(ctx, publicstream.Stream)
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.RawStreamMsg
	for seq := uint64(1); seq <= s.CachedInfo().State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // erased, as a crash loses an unflushed tail
		}
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		out = append(out, *m)
	}
	return out
}

// waitPublished waits until AUTH_EVENTS holds the last public event.
func waitPublished(t *testing.T, srv *apitest.Server) {
	t.Helper()
	want := publicEvents(t, srv.Store)
	last := want[len(want)-1].Seq
	ctx := testContext(t)
	s, err := srv.Store.JetStream().Stream(ctx, publicstream.Stream)
	if err != nil {
		t.Fatal(err)
	}
	for {
		m, err := s.GetLastMsgForSubject(ctx, "authtrail.>")
		if err == nil && m.Header.Get(publicstream.HeaderSeq) == strconv.FormatUint(last, 10) {
			return
		}
		if ctx.Err() != nil {
			info := "no consumer"
			if c, err := srv.Store.JetStream().Consumer(context.Background(), eventstore.DefaultStream, "wrk_"+publicstream.Name); err == nil {
				ci := c.CachedInfo()
				info = fmt.Sprintf("delivered %d/%d, ack floor %d, pending %d, ack pending %d, waiting %d", ci.Delivered.Stream,
					ci.Delivered.Consumer, ci.AckFloor.Stream, ci.NumPending, ci.NumAckPending, ci.NumWaiting)
			}
			t.Fatalf("AUTH_EVENTS never reached event %d (at %v); consumer %s; logs:\n%s", last, m, info, tail(srv.Logs(), 3000))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// exactlyOnce checks AUTH_EVENTS holds one message per public event, in
// the log's order.
func exactlyOnce(t *testing.T, srv *apitest.Server) {
	t.Helper()
	want := publicEvents(t, srv.Store)
	got := published(t, srv.Store.JetStream())
	if len(got) != len(want) {
		t.Fatalf("%d messages in AUTH_EVENTS for %d public events", len(got), len(want))
	}
	for i, m := range got {
		var ce struct {
			ID   string `json:"id"`
			Type string `json:"type"`
			Seq  uint64 `json:"authtrailseq"`
		}
		if err := json.Unmarshal(m.Data, &ce); err != nil {
			t.Fatal(err)
		}
		if ce.ID != want[i].ID || ce.Seq != want[i].Seq || ce.Type != "authtrail."+want[i].Type || m.Subject != "authtrail."+want[i].Type {
			t.Fatalf("message %d is %s %s (seq %d), want event %s %s (seq %d)", i+1, m.Subject, ce.ID, ce.Seq, want[i].Type, want[i].ID, want[i].Seq)
		}
	}
}

// A consumer created after 100 sign-ins reads all of them, in order.
func TestAConsumerCreatedLaterReadsEverySignInInOrder(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	apitest.Register(t, srv, "alice")
	var ids []string
	for range 100 {
		ids = append(ids, apitest.SignIn(t, srv, "alice"))
	}
	waitPublished(t, srv)

	ctx := testContext(t)
	cons, err := srv.Store.JetStream().CreateConsumer(ctx, publicstream.Stream, jetstream.ConsumerConfig{
		Durable: "crm", FilterSubject: "authtrail.interaction.submitted", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(200, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var signIns []string
	for m := range batch.Messages() {
		var ce struct {
			Data struct {
				InteractionID    string `json:"interactionId"`
				InteractionEvent string `json:"interactionEvent"`
				UserID           string `json:"userId"`
			} `json:"data"`
		}
		if err := json.Unmarshal(m.Data(), &ce); err != nil {
			t.Fatal(err)
		}
		if h := m.Headers().Get("content-type"); h != publicstream.ContentType {
			t.Fatalf("content-type %q", h)
		}
		if ce.Data.InteractionEvent == "SignIn" {
			if ce.Data.UserID != "1" {
				t.Fatalf("sign-in of user %q", ce.Data.UserID)
			}
			signIns = append(signIns, ce.Data.InteractionID)
		}
		_ = m.Ack()
	}
	if fmt.Sprint(signIns) != fmt.Sprint(ids) {
		t.Fatalf("%d sign-ins read, want the 100 in order", len(signIns))
	}
}

// The worker stopped in the middle of a burst, and restarted after the
// duplicate window has passed with its consumer handing out again what it
// had published (acks lost in the crash), leaves exactly one message per
// event, in order.
func TestAWorkerCrashOutlivingTheDuplicateWindowRepublishesNothing(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	apitest.Register(t, srv, "alice")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				apitest.SignIn(t, srv, "alice")
			}
		}()
	}
	time.Sleep(150 * time.Millisecond)
	srv.StopWorkers() // mid-burst
	wg.Wait()

	ctx := testContext(t)
	js := srv.Store.JetStream()
	// The crash lost the acks: the worker's consumer starts over.
	if err := js.DeleteConsumer(ctx, eventstore.DefaultStream, "wrk_"+publicstream.Name); err != nil {
		t.Fatal(err)
	}
	outliveDuplicateWindow(t, js) // and it outlived the duplicate window
	if len(published(t, js)) == 0 {
		t.Fatal("the worker published nothing before it stopped")
	}

	srv.StartWorkers(t)
	waitPublished(t, srv)
	exactlyOnce(t, srv)
}

// AUTH_EVENTS is written with asynchronous persistence, so a crash can
// lose its last messages after the worker acknowledged their events. On
// restart the worker's consumer is rewound to the last message left and
// the lost ones are published again: exactly one per event, in order.
func TestAWorkerRestartRepublishesATailTheCrashLost(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	apitest.Register(t, srv, "alice")
	for range 5 {
		apitest.SignIn(t, srv, "alice")
	}
	waitPublished(t, srv)
	srv.StopWorkers()

	ctx := testContext(t)
	js := srv.Store.JetStream()
	stream, err := js.Stream(ctx, publicstream.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if got := stream.CachedInfo().Config.PersistMode; got != jetstream.AsyncPersistMode {
		t.Fatalf("AUTH_EVENTS persist mode %v, want async", got)
	}
	// The crash took the last 7 messages (their events acknowledged).
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := info.State.LastSeq; seq > info.State.LastSeq-7; seq-- {
		if err := stream.DeleteMsg(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	// And it outlived the duplicate window, so JetStream would not drop a
	// republished message anyway.
	outliveDuplicateWindow(t, js)

	srv.StartWorkers(t)
	waitPublished(t, srv)
	exactlyOnce(t, srv)
	if !strings.Contains(srv.Logs(), "Consumer rewound to its handler's output") {
		t.Fatalf("no rewind logged:\n%s", tail(srv.Logs(), 2000))
	}
	// The rewound consumer opens again on the next start, where nothing
	// needs rewinding, and goes on publishing.
	srv.StopWorkers()
	srv.StartWorkers(t)
	apitest.SignIn(t, srv, "alice")
	waitPublished(t, srv)
	exactlyOnce(t, srv)
}

// A stream created before asynchronous persistence keeps its mode, which
// JetStream cannot change, and the server starts.
func TestAnOlderStreamKeepsItsPersistMode(t *testing.T) {
	js, err := jetstream.New(natstest.NewConn(t, natstest.RunBasicJetStreamServer(t)))
	if err != nil {
		t.Fatal(err)
	}
	older := publicstream.StreamConfig(1, 0)
	older.PersistMode = jetstream.DefaultPersistMode
	if _, err := js.CreateStream(testContext(t), older); err != nil {
		t.Fatal(err)
	}
	s, err := publicstream.EnsureStream(testContext(t), js, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := s.CachedInfo().Config; cfg.PersistMode != jetstream.DefaultPersistMode || cfg.MaxAge != time.Hour {
		t.Fatalf("persist mode %v, max age %v", cfg.PersistMode, cfg.MaxAge)
	}
}

// outliveDuplicateWindow shrinks AUTH_EVENTS's duplicate window and waits
// it out, as a crash longer than the window would.
func outliveDuplicateWindow(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	// A changed window makes the server purge its message ids at once, but
	// that purge can run before the new window is set (then it keeps every
	// id for the old two minutes). So change it twice: the second purge
	// runs with the first short window at the latest.
	cfg := publicstream.StreamConfig(1, 0)
	for _, window := range []time.Duration{100 * time.Millisecond, 150 * time.Millisecond} {
		cfg.Duplicates = window
		if _, err := js.UpdateStream(testContext(t), cfg); err != nil {
			t.Fatal(err)
		}
		// The ids must be older than the window, and the server's timer
		// fires late on a loaded machine: wait several windows.
		time.Sleep(500 * time.Millisecond)
	}
}

// Each CloudEvent's dataschema is served by the server.
func TestTheServerServesEveryDataschema(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	apitest.Register(t, srv, "alice")
	waitPublished(t, srv)
	for _, m := range published(t, srv.Store.JetStream()) {
		var ce struct {
			DataSchema string `json:"dataschema"`
		}
		_ = json.Unmarshal(m.Data, &ce)
		path := strings.TrimPrefix(ce.DataSchema, apitest.PublicURL)
		r := srv.Client(t).Do(http.MethodGet, path, nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"const": "authtrail.`+strings.TrimPrefix(m.Subject, "authtrail.")+`"`) {
			t.Fatalf("GET %s: %d %.200s", path, r.Status, r.Body)
		}
	}
	if r := srv.Client(t).Do(http.MethodGet, publicstream.SchemaPath+"nope.json", nil); r.Status != http.StatusNotFound {
		t.Fatalf("unknown schema: %d", r.Status)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
