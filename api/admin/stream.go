package admin

import (
	"context"
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

// writeWindow bounds each write of the event stream (see sseWriter.flush).
const writeWindow = 10 * time.Second

// eventStream serves GET /api/admin/events/stream: the public events
// (docs/audit.md, Server-sent events) live, each as "id: <seq>",
// "event: <type>", "data: <CloudEvent>". Last-Event-ID resumes right after
// that event, ?from=SEQ starts at an older one, ?types= filters. Live
// events come from the server's shared tail; a stream that starts before
// its window, or falls out of it, catches up on a consumer of its own.
func (a *API) eventStream(w http.ResponseWriter, r *http.Request) error {
	match, err := a.typeFilter(r.URL.Query().Get("types"), r.URL.Query().Has("types"))
	if err != nil {
		return err
	}
	start, err := startOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	run, err := a.tail.join(ctx)
	if err != nil {
		return err
	}
	defer a.tail.leave(run)
	cursor := start
	if cursor == 0 {
		cursor = run.live()
	}

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	out := &sseWriter{w: w, rc: http.NewResponseController(w), match: match}
	out.comment("authtrail events")
	if out.flush() != nil {
		return nil
	}
	idle := time.NewTimer(KeepAlive)
	defer idle.Stop()
	for {
		if !run.covers(cursor) {
			if cursor, err = a.catchUp(ctx, out, run, cursor, idle); err != nil {
				return nil
			}
			continue
		}
		frames, next, more, ok, err := run.after(cursor, streamBatch)
		if !ok {
			continue
		}
		cursor = next
		if len(frames) > 0 {
			for _, f := range frames {
				out.add(f)
			}
			if out.flush() != nil {
				return nil
			}
			idle.Reset(KeepAlive)
			continue
		}
		if err != nil {
			a.streamEnded(ctx, err)
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-idle.C:
			out.comment("keep-alive")
			if out.flush() != nil {
				return nil
			}
			idle.Reset(KeepAlive)
		case <-more:
			// Under load events come a few milliseconds apart: waiting a
			// moment sends several in one write, instead of a write and a
			// wake-up per event for every subscriber.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(streamLinger):
			}
		}
	}
}

// streamBatch bounds the events one write of a stream carries.
const streamBatch = 256

// streamLinger is how long a stream waits after an event for more to
// send in the same write.
const streamLinger = 20 * time.Millisecond

// catchUp sends the events from cursor on, read on a consumer of the
// stream's own, until the shared tail's window holds the rest. It returns
// the next seq to send, or an error when the stream must end.
func (a *API) catchUp(ctx context.Context, out *sseWriter, run *tailRun, cursor uint64, idle *time.Timer) (uint64, error) {
	cons, err := a.d.Store.JetStream().OrderedConsumer(ctx, a.d.Store.Stream(), jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: cursor})
	if err != nil {
		return 0, err
	}
	msgs, err := cons.Messages()
	if err != nil {
		return 0, err
	}
	defer msgs.Stop()
	// Messages blocks; a goroutine hands them over so idle time can send
	// keep-alives and a gone client ends the loop.
	type next struct {
		m   jetstream.Msg
		err error
	}
	ch := make(chan next, streamBatch)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			m, err := msgs.Next()
			select {
			case ch <- next{m, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-idle.C:
			out.comment("keep-alive")
			if err := out.flush(); err != nil {
				return 0, err
			}
			idle.Reset(KeepAlive)
		case n := <-ch:
			// Whatever else has arrived goes in the same write.
			for i := 0; ; i++ {
				if n.err != nil {
					a.streamEnded(ctx, n.err)
					return 0, n.err
				}
				f, public, err := a.render(n.m)
				if err != nil {
					a.d.Log.ErrorContext(ctx, "admin: event stream cannot render an event", "err", err)
					return 0, err
				}
				if public {
					out.add(f)
				}
				md, _ := n.m.Metadata() // render read it already
				cursor = md.Sequence.Stream + 1
				if i == streamBatch || run.covers(cursor) {
					break
				}
				select {
				case n = <-ch:
					continue
				default:
				}
				break
			}
			if err := out.flush(); err != nil {
				return 0, err
			}
			idle.Reset(KeepAlive)
			if run.covers(cursor) {
				return cursor, nil
			}
		}
	}
}

func (a *API) streamEnded(ctx context.Context, err error) {
	if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
		return
	}
	a.d.Log.WarnContext(ctx, "admin: event stream ended", "err", err)
}

// sseWriter gathers a stream's frames and sends them in one write.
type sseWriter struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	match func(string) bool
	buf   []byte
}

func (s *sseWriter) add(f tailFrame) {
	if s.match(f.typ) {
		s.buf = append(s.buf, f.text...)
	}
}

func (s *sseWriter) comment(text string) { s.buf = append(s.buf, ": "+text+"\n\n"...) }

// flush sends what was gathered, each write with a deadline of its own:
// the server's WriteTimeout would cut a long-lived stream.
func (s *sseWriter) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	_ = s.rc.SetWriteDeadline(time.Now().Add(writeWindow))
	_, err := s.w.Write(s.buf)
	s.buf = s.buf[:0]
	if err != nil {
		return err
	}
	return s.rc.Flush()
}

// render is an event's frame, or public false for an event the streams
// leave out (internal plumbing).
func (a *API) render(m jetstream.Msg) (tailFrame, bool, error) {
	md, err := m.Metadata()
	if err != nil {
		return tailFrame{}, false, err
	}
	env, err := eventstore.EnvelopeOf(m.Subject(), md.Sequence.Stream, m.Headers(), m.Data())
	if err != nil {
		return tailFrame{}, false, err
	}
	if !publicstream.Public(env.AggType) {
		return tailFrame{}, false, nil
	}
	data, err := publicstream.Marshal(env, a.d.PublicURL)
	if err != nil {
		return tailFrame{}, false, err
	}
	typ := publicstream.TypePrefix + env.Type
	return tailFrame{seq: env.Seq, typ: typ, text: fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", env.Seq, typ, data)}, true, nil
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
