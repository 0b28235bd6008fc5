package admin

import (
	"context"
	"slices"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore"
)

// tailFrames is how many recent frames the shared tail keeps: a stream
// that falls further behind reads the log on a consumer of its own until
// it is back within them.
var tailFrames = 4096

// tail is the one live reader of the log that every event stream of a
// server shares while any is open: it renders each public event once, into
// a window of recent frames the streams copy from. Ten subscribers cost one
// consumer and one rendering per event, not ten.
type tail struct {
	store  *eventstore.Store
	render func(jetstream.Msg) (tailFrame, bool, error)

	mu  sync.Mutex
	cur *tailRun // nil while no stream is open
}

// tailFrame is one rendered public event.
type tailFrame struct {
	seq  uint64
	typ  string // the public type, for the streams' filters
	text string // the whole server-sent event
}

// tailRun is one life of the shared reader, from its first subscriber to
// its last (or to its consumer's failure).
type tailRun struct {
	t      *tail
	cancel context.CancelFunc
	users  int // guarded by t.mu

	mu sync.Mutex
	// Every public event with floor < seq <= head is in frames, in order.
	frames      []tailFrame
	floor, head uint64
	changed     chan struct{} // closed at every change
	err         error         // the reader stopped
}

// join returns the running reader, starting one at the log's end if none
// runs; leave must follow.
func (t *tail) join(ctx context.Context) (*tailRun, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur != nil {
		t.cur.users++
		return t.cur, nil
	}
	stream, err := t.store.JetStream().Stream(ctx, t.store.Stream())
	if err != nil {
		return nil, err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, err
	}
	last := info.State.LastSeq
	runCtx, cancel := context.WithCancel(context.Background())
	cons, err := t.store.JetStream().OrderedConsumer(ctx, t.store.Stream(), jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: last + 1})
	if err != nil {
		cancel()
		return nil, err
	}
	msgs, err := cons.Messages()
	if err != nil {
		cancel()
		return nil, err
	}
	run := &tailRun{t: t, cancel: cancel, users: 1, floor: last, head: last, changed: make(chan struct{})}
	t.cur = run
	go func() {
		<-runCtx.Done()
		msgs.Stop()
	}()
	go run.read(msgs)
	return run, nil
}

// leave ends a stream's use of the reader; the last one stops it.
func (t *tail) leave(run *tailRun) {
	t.mu.Lock()
	defer t.mu.Unlock()
	run.users--
	if run.users == 0 {
		run.cancel()
		if t.cur == run {
			t.cur = nil
		}
	}
}

func (run *tailRun) read(msgs jetstream.MessagesContext) {
	for {
		m, err := msgs.Next()
		var f tailFrame
		public := false
		if err == nil {
			f, public, err = run.t.render(m)
		}
		if err != nil {
			run.t.mu.Lock()
			if run.t.cur == run {
				run.t.cur = nil // the next stream starts a new reader
			}
			run.t.mu.Unlock()
			run.mu.Lock()
			run.err = err
			close(run.changed)
			run.mu.Unlock()
			return
		}
		md, _ := m.Metadata() // render read it already
		run.mu.Lock()
		if public {
			run.frames = append(run.frames, f)
			if len(run.frames) >= 2*tailFrames {
				drop := len(run.frames) - tailFrames
				run.floor = run.frames[drop-1].seq
				run.frames = slices.Delete(run.frames, 0, drop)
			}
		}
		run.head = md.Sequence.Stream
		close(run.changed)
		run.changed = make(chan struct{})
		run.mu.Unlock()
	}
}

// live is where a stream of new events only starts.
func (run *tailRun) live() uint64 {
	run.mu.Lock()
	defer run.mu.Unlock()
	return run.head + 1
}

// covers says whether the window holds every public event from seq on.
func (run *tailRun) covers(seq uint64) bool {
	run.mu.Lock()
	defer run.mu.Unlock()
	return seq > run.floor
}

// after returns up to limit frames from seq on, the seq to ask for next, and
// a channel closed when more arrive. ok is false when the window no longer
// holds seq (the stream must catch up by itself); err when the reader
// stopped.
func (run *tailRun) after(seq uint64, limit int) (frames []tailFrame, next uint64, wait <-chan struct{}, ok bool, err error) {
	run.mu.Lock()
	defer run.mu.Unlock()
	if seq <= run.floor {
		return nil, seq, nil, false, nil
	}
	i, _ := slices.BinarySearchFunc(run.frames, seq, func(f tailFrame, s uint64) int {
		switch {
		case f.seq < s:
			return -1
		case f.seq > s:
			return 1
		}
		return 0
	})
	end := min(len(run.frames), i+limit)
	frames = slices.Clone(run.frames[i:end])
	next = max(seq, run.head+1)
	if end < len(run.frames) {
		next = run.frames[end].seq
	}
	return frames, next, run.changed, true, run.err
}
