package admin_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/admin"
	"github.com/authtrail/authtrail/api/apitest"
)

// frame is one server-sent event.
type frame struct {
	id, event, data string
	comment         bool
}

// sse is an open event stream.
type sse struct {
	resp   *http.Response
	frames chan frame
	cancel context.CancelFunc
}

func (e *env) stream(base, query, lastEventID string) (*sse, *http.Response) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/admin/events/stream"+query, nil)
	req.Header.Set("Authorization", "Bearer "+e.token("auditor"))
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		return nil, resp
	}
	s := &sse{resp: resp, frames: make(chan frame, 1000), cancel: cancel}
	go func() {
		defer close(s.frames)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var f frame
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				switch {
				case f.id != "":
					s.frames <- f
				case f.comment:
					select { // nobody may be reading comments
					case s.frames <- f:
					default:
					}
				}
				f = frame{}
			case strings.HasPrefix(line, ":"):
				f.comment = true
			case strings.HasPrefix(line, "id: "):
				f.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				f.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				f.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	e.t.Cleanup(s.close)
	return s, resp
}

func (s *sse) close() { s.cancel(); _ = s.resp.Body.Close() }

// next returns the next event, skipping comments.
func (s *sse) next(t *testing.T) frame {
	t.Helper()
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				t.Fatal("the stream ended")
			}
			if !f.comment {
				return f
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no event in 10s")
		}
	}
}

// newPlainEnv is a server with the default sign-in experience and the
// admin clients, and a user alice without MFA.
func newPlainEnv(t *testing.T) *env {
	srv := apitest.NewServer(t, apitest.Options{APIClients: clients})
	apitest.Register(t, srv, "alice")
	return &env{t: t, srv: srv, tokens: map[string]string{}}
}

func TestEventStreamResumesAfterADisconnectWithNothingLostOrRepeated(t *testing.T) {
	e := newPlainEnv(t)
	s, _ := e.stream(e.srv.URL, "?from=1&types=authtrail.interaction.submitted,authtrail.sentinel.*", "")
	first := s.next(t) // alice's registration
	if first.event != "authtrail.interaction.submitted" || !strings.Contains(first.data, `"interactionEvent":"Register"`) ||
		!strings.Contains(first.data, `"authtrailseq":`+first.id) {
		t.Fatalf("first event %+v", first)
	}
	ids := []string{apitest.SignIn(t, e.srv, "alice")}
	got := s.next(t)
	if !strings.Contains(got.data, ids[0]) {
		t.Fatalf("live event %+v, want the sign-in %s", got, ids[0])
	}
	s.close()

	ids = nil
	for range 3 {
		ids = append(ids, apitest.SignIn(t, e.srv, "alice"))
	}
	again, _ := e.stream(e.srv.URL, "?types=authtrail.interaction.submitted", got.id)
	last, _ := strconv.Atoi(got.id)
	for _, want := range ids {
		f := again.next(t)
		seq, _ := strconv.Atoi(f.id)
		if !strings.Contains(f.data, want) || seq <= last {
			t.Fatalf("after resuming: %+v, want the sign-in %s after %d", f, want, last)
		}
		last = seq
	}
	select {
	case f := <-again.frames:
		if !f.comment {
			t.Fatalf("an event repeated or extra: %+v", f)
		}
	case <-time.After(200 * time.Millisecond):
	}
}

func TestEventStreamRefusesBadPositionsAndTypes(t *testing.T) {
	e := newPlainEnv(t)
	for _, tc := range []struct{ query, lastEventID, mention string }{
		{"?from=0", "", "from"},
		{"?from=x", "", "from"},
		{"", "abc", "Last-Event-ID"},
		{"?types=authtrail.nope", "", "authtrail.interaction.submitted"},
		{"?types=authtrail.interaction.submitted,authtrail.zzz.*", "", "authtrail.zzz.*"},
		{"?type=x", "", "type"},
	} {
		s, resp := e.stream(e.srv.URL, tc.query, tc.lastEventID)
		if s != nil {
			t.Fatalf("%s %q: streaming, want 400", tc.query, tc.lastEventID)
		}
		body := make([]byte, 8192)
		n, _ := resp.Body.Read(body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body[:n]), tc.mention) {
			t.Errorf("%s %q: %d %s, want 400 naming %q", tc.query, tc.lastEventID, resp.StatusCode, body[:n], tc.mention)
		}
	}
}

// Idle streams get keep-alive comments, many subscribers see the same
// events, and the server's WriteTimeout and ReadTimeout do not cut a
// long stream.
func TestManyLongLivedSubscribers(t *testing.T) {
	defer func(d time.Duration) { admin.KeepAlive = d }(admin.KeepAlive)
	admin.KeepAlive = 50 * time.Millisecond
	e := newPlainEnv(t)
	ts := httptest.NewUnstartedServer(e.srv.API())
	ts.Config.WriteTimeout = 300 * time.Millisecond
	ts.Config.ReadTimeout = 300 * time.Millisecond
	ts.Start()
	var streams []*sse
	defer func() {
		for _, s := range streams {
			s.close() // before the server's Close, which waits for them
		}
		ts.Close()
	}()

	for range 10 {
		s, resp := e.stream(ts.URL, "?types=authtrail.interaction.*", "")
		if s == nil {
			t.Fatalf("stream: %d", resp.StatusCode)
		}
		streams = append(streams, s)
	}
	// Idle past the write timeout: comments keep coming.
	deadline := time.After(time.Second)
	comments := 0
wait:
	for {
		select {
		case f := <-streams[0].frames:
			if f.comment {
				comments++
			}
		case <-deadline:
			break wait
		}
	}
	if comments < 5 {
		t.Fatalf("%d keep-alive comments in a second", comments)
	}
	id := apitest.SignIn(t, e.srv, "alice")
	var wg sync.WaitGroup
	for _, s := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			timeout := time.After(10 * time.Second)
			for {
				select {
				case f := <-s.frames:
					if f.event == "authtrail.interaction.submitted" && strings.Contains(f.data, id) {
						return
					}
				case <-timeout:
					t.Error("a subscriber did not see the sign-in")
					return
				}
			}
		}()
	}
	wg.Wait()
}

// A stream that starts far behind the shared tail's window reads the log
// by itself, then joins the window, with every event once, in order, as a
// stream that was live all along saw them.
func TestEventStreamCatchesUpThenJoinsTheSharedTail(t *testing.T) {
	defer admin.SetTailFrames(4)()
	e := newPlainEnv(t)
	live, _ := e.stream(e.srv.URL, "", "")
	for range 6 {
		apitest.SignIn(t, e.srv, "alice")
	}
	last := apitest.SignIn(t, e.srv, "alice")
	var seen []frame
	for {
		f := live.next(t)
		seen = append(seen, f)
		if f.event == "authtrail.interaction.submitted" && strings.Contains(f.data, last) {
			break
		}
	}
	if len(seen) < 20 {
		t.Fatalf("%d live events, want more than the window of 4 (and its slack) to fall behind", len(seen))
	}
	late, _ := e.stream(e.srv.URL, "?from=1", "")
	prev := 0
	var caught []frame
	for len(caught) == 0 || caught[len(caught)-1].id != seen[len(seen)-1].id {
		f := late.next(t)
		seq, _ := strconv.Atoi(f.id)
		if seq <= prev {
			t.Fatalf("event %d after %d: repeated or out of order", seq, prev)
		}
		prev = seq
		if first, _ := strconv.Atoi(seen[0].id); seq >= first {
			caught = append(caught, f)
		}
	}
	if len(caught) != len(seen) {
		t.Fatalf("the late stream sent %d of the %d events the live one saw", len(caught), len(seen))
	}
	for i := range seen {
		if caught[i] != seen[i] {
			t.Fatalf("event %d: late %+v, live %+v", i, caught[i], seen[i])
		}
	}
	// Both now follow the tail.
	next := apitest.SignIn(t, e.srv, "alice")
	for _, s := range []*sse{live, late} {
		for {
			f := s.next(t)
			seq, _ := strconv.Atoi(f.id)
			if seq <= prev {
				t.Fatalf("event %d repeated after catching up", seq)
			}
			if f.event == "authtrail.interaction.submitted" && strings.Contains(f.data, next) {
				break
			}
		}
	}
}
