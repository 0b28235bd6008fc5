package admin

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers/publicstream"
)

// KeepAlive is how often an idle event stream sends a comment line, so
// proxies and clients keep the connection open.
var KeepAlive = 15 * time.Second

// writeWindow bounds each write of the event stream: the server's
// WriteTimeout would cut a long-lived stream, so every write gets its own
// deadline instead.
const writeWindow = 10 * time.Second

// eventStream serves GET /api/admin/events/stream: the public events
// (docs/audit.md, Server-sent events) live, each as "id: <seq>",
// "event: <type>", "data: <CloudEvent>". Last-Event-ID resumes right after
// that event, ?from=SEQ starts at an older one, ?types= filters.
func (a *API) eventStream(w http.ResponseWriter, r *http.Request) error {
	match, err := a.typeFilter(r.URL.Query().Get("types"), r.URL.Query().Has("types"))
	if err != nil {
		return err
	}
	start, err := startOf(r)
	if err != nil {
		return err
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy}
	if start > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, start
	}
	cons, err := a.d.Store.JetStream().OrderedConsumer(r.Context(), a.d.Store.Stream(), cfg)
	if err != nil {
		return err
	}
	msgs, err := cons.Messages()
	if err != nil {
		return err
	}
	defer msgs.Stop()

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(text string) error {
		_ = rc.SetWriteDeadline(time.Now().Add(writeWindow))
		if _, err := fmt.Fprint(w, text); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := write(": authtrail events\n\n"); err != nil {
		return nil
	}

	// Messages blocks; a goroutine hands them over so idle time can send
	// keep-alives and a gone client ends the loop.
	type next struct {
		m   jetstream.Msg
		err error
	}
	ch := make(chan next)
	go func() {
		for {
			m, err := msgs.Next()
			select {
			case ch <- next{m, err}:
			case <-r.Context().Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	idle := time.NewTimer(KeepAlive)
	defer idle.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-idle.C:
			if err := write(": keep-alive\n\n"); err != nil {
				return nil
			}
			idle.Reset(KeepAlive)
		case n := <-ch:
			if n.err != nil {
				if errors.Is(n.err, jetstream.ErrMsgIteratorClosed) || r.Context().Err() != nil {
					return nil
				}
				a.d.Log.WarnContext(r.Context(), "admin: event stream ended", "err", n.err)
				return nil
			}
			frame, ok, err := a.frame(n.m, match)
			if err != nil {
				a.d.Log.ErrorContext(r.Context(), "admin: event stream cannot render an event", "err", err)
				return nil
			}
			if !ok {
				continue
			}
			if err := write(frame); err != nil {
				return nil
			}
			idle.Reset(KeepAlive)
		}
	}
}

// frame is one message of the stream, or ok false for an event it leaves
// out (internal plumbing, filtered out).
func (a *API) frame(m jetstream.Msg, match func(string) bool) (string, bool, error) {
	md, err := m.Metadata()
	if err != nil {
		return "", false, err
	}
	env, err := eventstore.EnvelopeOf(m.Subject(), md.Sequence.Stream, m.Headers(), m.Data())
	if err != nil {
		return "", false, err
	}
	if !publicstream.Public(env.AggType) || !match(publicstream.TypePrefix+env.Type) {
		return "", false, nil
	}
	data, err := publicstream.Marshal(env, a.d.PublicURL)
	if err != nil {
		return "", false, err
	}
	return fmt.Sprintf("id: %d\nevent: %s%s\ndata: %s\n\n", env.Seq, publicstream.TypePrefix, env.Type, data), true, nil
}

// typeFilter reads ?types=: exact public types, or prefixes ending in
// ".*"; each must name at least one known type.
func (a *API) typeFilter(param string, given bool) (func(string) bool, error) {
	if !given {
		return func(string) bool { return true }, nil
	}
	known := publicstream.Types(a.d.Catalogue)
	for i := range known {
		known[i] = publicstream.TypePrefix + known[i]
	}
	var exact, prefixes []string
	for _, t := range strings.Split(param, ",") {
		t = strings.TrimSpace(t)
		matches := func(k string) bool { return k == t }
		if p, ok := strings.CutSuffix(t, "*"); ok && strings.HasSuffix(p, ".") {
			matches = func(k string) bool { return strings.HasPrefix(k, p) }
			prefixes = append(prefixes, p)
		} else {
			exact = append(exact, t)
		}
		if t == "" || !slices.ContainsFunc(known, matches) {
			return nil, badParam("types", fmt.Sprintf("%q names no event type; known: %s", t, strings.Join(known, ", ")))
		}
	}
	return func(k string) bool {
		return slices.Contains(exact, k) || slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) })
	}, nil
}

// startOf is the first sequence to send: right after Last-Event-ID, or
// from, or 0 for live events only.
func startOf(r *http.Request) (uint64, error) {
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		n, err := strconv.ParseUint(strings.TrimSpace(id), 10, 64)
		if err != nil {
			return 0, badParam("Last-Event-ID", "want the seq of the last event received")
		}
		return n + 1, nil
	}
	if r.URL.Query().Has("from") {
		n, err := strconv.ParseUint(r.URL.Query().Get("from"), 10, 64)
		if err != nil || n == 0 {
			return 0, badParam("from", "want a positive integer, the seq of an event")
		}
		return n, nil
	}
	return 0, nil
}
