package apitest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/natstest"
)

// StoreConfig is the event store of test servers: the first commit of
// every command is refused by the server as a conflict (a real refusal of
// a stale expected sequence), so every request of every test is decided a
// second time on fresh state. A request that reads its input inside the
// retried decision, or commits twice, then fails the test's assertions or
// the commit-rule audit.
func StoreConfig() eventstore.Config {
	return eventstore.Config{ForceConflicts: FirstAttemptConflicts}
}

// FirstAttemptConflicts forces a conflict on the first attempt of every
// command.
func FirstAttemptConflicts(attempt int) bool { return attempt == 1 }

// NewStore starts a JetStream server for the test and opens a store with
// StoreConfig on a connection of its own.
func NewStore(t testing.TB) *eventstore.Store {
	t.Helper()
	return natstest.OpenStore(t, natstest.NewConn(t, natstest.RunBasicJetStreamServer(t)), StoreConfig())
}

// Audit wraps an API handler over store so that, when the test ends, the
// commit rule is checked against every request it answered. The events a
// request wrote are those carrying its X-Request-Id as correlation id
// (Audit gives each request a fresh one unless the client sent its own);
// events a worker wrote on its behalf (actor "worker:…") are the worker's.
//
//   - A refused request (status 400 and above) wrote only failure events
//     (domain.Failure), events the contract keeps (domain.Kept) and claims
//     (domain.Claim: a credential spent before the refusal was decided).
//   - No request wrote one event twice (same subject, type and payload): a
//     command decided again after a conflict commits once.
//
// Register it before the HTTP server's Close, so it runs after the server
// stopped answering.
//
// catalogue decodes the events (api.Server.Catalogue, or api.Catalogue for
// an API served without the Experience API).
func Audit(t testing.TB, store *eventstore.Store, catalogue map[string]domain.Registry, next http.Handler) http.Handler {
	return newAudit(t, store, catalogue, next)
}

func newAudit(t testing.TB, store *eventstore.Store, catalogue map[string]domain.Registry, next http.Handler) *audit {
	a := &audit{next: next, catalogue: catalogue, answers: map[string]answer{}}
	t.Cleanup(func() { a.checkOnce(t, store) })
	return a
}

type audit struct {
	next      http.Handler
	catalogue map[string]domain.Registry
	once      sync.Once
	seq       atomic.Uint64
	mu        sync.Mutex
	answers   map[string]answer // by request id; a reused id is left out
	order     []Answer
}

type answer struct {
	method, path string
	status       int
	reused       bool
}

// Answer is one request a test server answered: its method and path, the
// status and the error code (Logto's code, or a OneLogin-style name).
type Answer struct {
	Method, Path string
	Status       int
	Code         string
}

func (a *audit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Request-Id")
	if id == "" {
		id = fmt.Sprintf("apitest-%d-%d", time.Now().UnixNano(), a.seq.Add(1))
		r.Header.Set("X-Request-Id", id)
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	a.next.ServeHTTP(rec, r)
	a.mu.Lock()
	defer a.mu.Unlock()
	_, seen := a.answers[id]
	a.answers[id] = answer{method: r.Method, path: r.URL.Path, status: rec.status, reused: seen}
	a.order = append(a.order, Answer{Method: r.Method, Path: r.URL.Path, Status: rec.status, Code: rec.errorCode()})
}

// answered lists the requests answered so far, in order.
func (a *audit) answered() []Answer {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.order)
}

// checkOnce audits the answered requests, the first time it is called.
func (a *audit) checkOnce(t testing.TB, store *eventstore.Store) {
	a.once.Do(func() { a.check(t, store) })
}

func (a *audit) check(t testing.TB, store *eventstore.Store) {
	type written struct {
		env eventstore.Envelope
		ev  domain.Event
	}
	byRequest := map[string][]written{}
	a.mu.Lock()
	defer a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := store.Scan(ctx, func(env eventstore.Envelope) error {
		ans, ok := a.answers[env.CorrelationID]
		if !ok || ans.reused || strings.HasPrefix(env.Actor, "worker:") {
			return nil
		}
		reg, ok := a.catalogue[env.AggType]
		if !ok {
			return fmt.Errorf("event %d on %s: aggregate type %q is not in api.Catalogue", env.Seq, env.Subject, env.AggType)
		}
		ev, err := reg.Decode(env.Type, env.Data)
		if err != nil {
			return fmt.Errorf("event %d on %s: %w", env.Seq, env.Subject, err)
		}
		byRequest[env.CorrelationID] = append(byRequest[env.CorrelationID], written{env, ev})
		return nil
	})
	if err != nil {
		t.Errorf("apitest: commit-rule audit: %v", err)
		return
	}
	for id, events := range byRequest {
		ans := a.answers[id]
		seen := map[string]bool{}
		for _, w := range events {
			_, failure := w.ev.(domain.Failure)
			_, kept := w.ev.(domain.Kept)
			_, claim := w.ev.(domain.Claim)
			if ans.status >= 400 && !failure && !kept && !claim {
				t.Errorf("apitest: commit rule: %s %s answered %d but wrote %s on %s, which is neither a failure, a kept event nor a claim",
					ans.method, ans.path, ans.status, w.env.Type, w.env.Subject)
			}
			key := w.env.Subject + " " + w.env.Type + " " + string(w.env.Data)
			if seen[key] {
				t.Errorf("apitest: commit rule: %s %s (answered %d) wrote %s on %s twice", ans.method, ans.path, ans.status, w.env.Type, w.env.Subject)
			}
			seen[key] = true
		}
	}
}

// statusRecorder remembers the status a handler answered, and the start
// of an error body.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	head        []byte // of an error body
}

// errorCode is the code (or OneLogin-style name) of an error body.
func (r *statusRecorder) errorCode() string {
	var e struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	if r.status < 400 || json.Unmarshal(r.head, &e) != nil {
		return ""
	}
	return e.Code + e.Name
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	if r.status >= 400 && len(r.head) < 4096 {
		r.head = append(r.head, b...)
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
