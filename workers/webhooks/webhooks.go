// Package webhooks delivers Logto's hook events to the configured
// receivers (docs/audit.md, Webhooks): each hook reads the log on a durable
// consumer of its own, so a receiver that is down holds back only its own
// deliveries, and never the API. Every attempt and giving up are events of
// the delivery (domain/webhook).
package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/webhook"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers"
)

// Defaults of a hook (config webhooks[]).
const (
	DefaultTimeout     = 10 * time.Second
	DefaultBackoff     = time.Second
	DefaultMaxAttempts = 5
	// MaxBackoff caps the doubling wait between attempts.
	MaxBackoff = time.Minute
)

// Hook is one configured receiver.
type Hook struct {
	ID     string
	URL    string
	Events []string
	// SigningKey's raw bytes key both signatures.
	SigningKey  string
	Headers     map[string]string
	Timeout     time.Duration
	Backoff     time.Duration
	MaxAttempts int
}

func (h Hook) withDefaults() Hook {
	if h.Timeout <= 0 {
		h.Timeout = DefaultTimeout
	}
	if h.Backoff <= 0 {
		h.Backoff = DefaultBackoff
	}
	if h.MaxAttempts <= 0 {
		h.MaxAttempts = DefaultMaxAttempts
	}
	return h
}

// wait is the pause before attempt n+1: backoff doubling, capped.
func (h Hook) wait(n int) time.Duration {
	d := h.Backoff
	for range n - 1 {
		d *= 2
		if d >= MaxBackoff {
			return MaxBackoff
		}
	}
	return d
}

// IDs are the hooks' ids.
func IDs(hooks []Hook) []string {
	ids := make([]string, 0, len(hooks))
	for _, h := range hooks {
		ids = append(ids, h.ID)
	}
	return ids
}

// HandlerName is a hook's worker.
func HandlerName(h Hook) string { return "webhook_" + h.ID }

// Consumer is a hook's durable consumer: the events that can fire a hook,
// in order, never dropped.
func Consumer(h Hook) workers.ConsumerConfig {
	return workers.ConsumerConfig{Stream: eventstore.DefaultStream, Durable: workers.DurablePrefix + HandlerName(h),
		FilterSubjects: Filter, MaxDeliver: -1} // AckWait extended while a delivery runs
}

// HandlerTimeout bounds one event's delivery with every attempt and wait.
func HandlerTimeout(h Hook) time.Duration {
	h = h.withDefaults()
	total := time.Duration(0)
	for n := 1; n <= h.MaxAttempts; n++ {
		total += h.Timeout + h.wait(n)
	}
	return total + 30*time.Second
}

// Options are what the workers need.
type Options struct {
	Store *eventstore.Store
	// Catalogue decodes the log (api.Server.Catalogue).
	Catalogue map[string]domain.Registry
	Client    *http.Client
	Clock     domain.Clock
	Log       *slog.Logger
	// Delivered is told each delivery's outcome ("delivered", "failed"),
	// e.g. for metrics; may be nil.
	Delivered func(outcome string)
}

// Worker delivers one hook's events.
type Worker struct {
	o    Options
	hook Hook
	// lastUpdate is the correlation id of the last User.Data.Updated
	// delivered: several changes of one request fire it once.
	lastUpdate string
}

// New returns the worker of a hook.
func New(o Options, h Hook) *Worker {
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Clock == nil {
		o.Clock = domain.SystemClock{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Worker{o: o, hook: h.withDefaults()}
}

// Handle delivers the hook event an event of the log fires, if the hook
// wants it: attempts until a 2xx answer or MaxAttempts, each recorded.
func (w *Worker) Handle(msg *message.Message) error {
	env, err := workers.Envelope(msg)
	if err != nil {
		return workers.Permanent(err)
	}
	reg := w.o.Catalogue[env.AggType]
	if reg == nil {
		return nil
	}
	if _, known := reg[env.Type]; !known {
		return nil
	}
	ev, err := reg.Decode(env.Type, env.Data)
	if err != nil {
		return workers.Permanent(err)
	}
	event := hookEvent(env, ev)
	if event == "" || !slices.Contains(w.hook.Events, event) {
		return nil
	}
	if event == webhook.UserDataUpdated {
		if env.CorrelationID != "" && env.CorrelationID == w.lastUpdate {
			return nil
		}
		w.lastUpdate = env.CorrelationID
	}
	ctx := msg.Context()
	id := webhook.DeliveryID(w.hook.ID, event, env.ID)
	subject := eventstore.MustSubject(webhook.AggregateType, id)
	state, err := w.delivery(ctx, subject)
	if err != nil || state.Done() {
		return err
	}
	p, err := w.payload(ctx, w.hook.ID, event, env, ev)
	if err != nil {
		return err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return workers.Permanent(err)
	}
	for n := state.Attempts + 1; n <= w.hook.MaxAttempts; n++ {
		a := w.attempt(ctx, id, body)
		a.HookID, a.Event, a.CauseID, a.Attempt = w.hook.ID, event, env.ID, n
		if err := w.record(ctx, subject, fmt.Sprintf("%s-a%d", id, n), &a); err != nil {
			return err
		}
		if a.Delivered() {
			w.outcome("delivered")
			return nil
		}
		if n == w.hook.MaxAttempts {
			reason := "status " + strconv.Itoa(derefInt(a.Status))
			if a.Error != nil {
				reason = *a.Error
			}
			w.outcome("failed")
			return w.record(ctx, subject, id+"-failed", &webhook.Failed{HookID: w.hook.ID, Event: event, CauseID: env.ID,
				Attempts: n, Error: reason})
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(w.hook.wait(n)):
		}
	}
	return nil
}

func (w *Worker) outcome(o string) {
	if w.o.Delivered != nil {
		w.o.Delivered(o)
	}
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// delivery folds what has been attempted already, e.g. before a crash.
func (w *Worker) delivery(ctx context.Context, subject string) (webhook.State, error) {
	envs, _, err := w.o.Store.Load(ctx, subject)
	if err != nil {
		return webhook.State{}, err
	}
	events, err := eventstore.Decode(envs, webhook.Events)
	return webhook.Fold(events), err
}

// record appends one event of the delivery under a deterministic id, so a
// redelivered event records nothing twice.
func (w *Worker) record(ctx context.Context, subject, id string, ev domain.Event) error {
	return w.o.Store.Run(ctx, eventstore.Metadata{Actor: "worker:" + HandlerName(w.hook)}, func(tx *eventstore.Tx) error {
		if _, err := tx.Load(ctx, subject); err != nil {
			return err
		}
		tx.AppendWithID(subject, id, ev)
		return nil
	})
}

// attempt POSTs body once with both signatures and the hook's headers.
func (w *Worker) attempt(ctx context.Context, id string, body []byte) webhook.Attempted {
	start := time.Now()
	a := webhook.Attempted{At: w.o.Clock.Now()}
	fail := func(err error) webhook.Attempted {
		msg := err.Error()
		a.Error, a.DurationMs = &msg, time.Since(start).Milliseconds()
		return a
	}
	ctx, cancel := context.WithTimeout(ctx, w.hook.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.hook.URL, bytes.NewReader(body))
	if err != nil {
		return fail(err)
	}
	for k, v := range w.hook.Headers {
		req.Header.Set(k, v)
	}
	Sign(req.Header, []byte(w.hook.SigningKey), id, w.o.Clock.Now(), body)
	resp, err := w.o.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("timeout after %s", w.hook.Timeout)
		}
		return fail(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	status := resp.StatusCode
	a.Status, a.DurationMs = &status, time.Since(start).Milliseconds()
	return a
}

// Sign sets the signature headers of a delivery: Logto's
// logto-signature-sha-256 (hex HMAC-SHA256 of the body) and the Standard
// Webhooks webhook-id, webhook-timestamp and webhook-signature
// ("v1," + base64 HMAC-SHA256 of "id.timestamp.body"), both keyed with the
// signing key's raw bytes.
func Sign(h http.Header, key []byte, id string, at time.Time, body []byte) {
	h.Set("Content-Type", "application/json")
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	h.Set("logto-signature-sha-256", hex.EncodeToString(mac.Sum(nil)))
	ts := strconv.FormatInt(at.Unix(), 10)
	mac = hmac.New(sha256.New, key)
	mac.Write([]byte(strings.Join([]string{id, ts, string(body)}, ".")))
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}
