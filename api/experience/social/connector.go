package social

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/secretbox"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers"
	"github.com/authtrail/authtrail/workers/connectors"
)

// WorkerName is the connector worker's handler name.
const WorkerName = "social_connectors"

// workerConcurrency is how many exchanges the worker makes at once: each
// waits on a provider, not on this machine.
const workerConcurrency = 16

// Worker exchanges the callbacks verify records (CallbackReceived) for the
// user's identity and records the outcome on the interaction. It works
// with the Handler the method is mounted on: its events, clock and log.
type Worker struct{ m *Method }

// Worker returns the method's connector worker; the method must be mounted.
func (m *Method) Worker() *Worker { return &Worker{m: m} }

// Consumer reads the interactions' events, several at once.
func (w *Worker) Consumer() workers.ConsumerConfig {
	return workers.ConsumerConfig{Stream: eventstore.DefaultStream, Durable: workers.DurablePrefix + WorkerName,
		FilterSubjects: []string{eventstore.SubjectPrefix + "." + interaction.AggregateType + ".>"},
		Concurrency:    workerConcurrency}
}

// Handle exchanges one callback; other events are acked. A callback with
// an outcome is passed over, and one whose exchange started without an
// outcome (the worker stopped mid-call) is recorded as interrupted rather
// than exchanged again: a provider never sees a code twice.
func (w *Worker) Handle(msg *message.Message) error {
	if msg.Metadata.Get(eventstore.HeaderType) != (CallbackReceived{}).EventType() {
		return nil
	}
	env, err := workers.Envelope(msg)
	if err != nil {
		return workers.Permanent(err)
	}
	var cb CallbackReceived
	if err := json.Unmarshal(env.Data, &cb); err != nil {
		return workers.Permanent(err)
	}
	ctx := msg.Context()
	meta := eventstore.Metadata{Actor: "worker:" + WorkerName,
		CorrelationID: msg.Metadata.Get(eventstore.HeaderCorrelationID), CausationID: msg.UUID}
	rec := recorder{w: w, subject: env.Subject, meta: meta, cb: cb, msgID: msg.UUID}
	if started, err := rec.start(ctx); err != nil || !started {
		return err
	}
	c, ok := w.m.connectors[cb.ConnectorID]
	if !ok {
		return rec.fail(ctx, domain.E("connector.invalid_config"), "connector "+cb.ConnectorID+" is no longer configured")
	}
	code, sec, err := w.m.open(cb)
	if err != nil {
		return rec.fail(ctx, domain.E("connector.general"), "the callback cannot be opened: "+err.Error())
	}
	// The API waits until the deadline; the exchange must end before it.
	callCtx, cancel := context.WithTimeout(ctx, max(cb.Deadline.Sub(w.m.h.Clock().Now()), time.Millisecond))
	defer cancel()
	info, err := c.Provider.Exchange(callCtx, code, cb.RedirectURI, sec.Verifier, sec.Nonce)
	if err != nil {
		w.m.h.Log().WarnContext(ctx, "social exchange failed", "connectorId", c.ID, "err", err)
		return rec.fail(ctx, providerError(err), err.Error())
	}
	return rec.verified(ctx, info)
}

// open unseals a callback's code and its authorization's secrets.
func (m *Method) open(cb CallbackReceived) (string, secrets, error) {
	var sec secrets
	code, err := m.d.Secrets.Open(secretbox.Sealed{KeyID: cb.Code.KeyID, Box: cb.Code.Box}, cb.CallbackID)
	if err != nil {
		return "", sec, err
	}
	plain, err := m.d.Secrets.Open(secretbox.Sealed{KeyID: cb.Secrets.KeyID, Box: cb.Secrets.Box}, cb.VerificationID)
	if err != nil {
		return "", sec, err
	}
	return string(code), sec, json.Unmarshal(plain, &sec)
}

// providerError is the refusal a provider failure answers.
func providerError(err error) *domain.Error {
	var cerr *connectors.Error
	if errors.As(err, &cerr) {
		return outcomeError(cerr.Code)
	}
	return domain.E("connector.general")
}

// recorder appends one callback's events, each once: its ids derive from
// the message, and each append first checks no outcome is recorded.
type recorder struct {
	w       *Worker
	subject string
	meta    eventstore.Metadata
	cb      CallbackReceived
	msgID   string
}

// start records the exchange's start, in one read of the interaction:
// false when an outcome came first (the API gave up waiting), or when an
// earlier start has none (the worker stopped mid-call: recorded as
// interrupted, never exchanged again).
func (r recorder) start(ctx context.Context) (bool, error) {
	started := false
	err := r.append(ctx, func(tx *eventstore.Tx, out Outcome) error {
		if out.Started {
			return r.failure(tx, domain.E("connector.general"), "interrupted: the worker stopped during the exchange")
		}
		tx.AppendWithID(r.subject, r.msgID+"-started", &ExchangeStarted{VerificationID: r.cb.VerificationID, CallbackID: r.cb.CallbackID})
		started = true
		return nil
	})
	if _, refused := domain.AsError(err); refused {
		return false, nil
	}
	return started, err
}

func (r recorder) verified(ctx context.Context, info UserInfo) error {
	return r.append(ctx, func(tx *eventstore.Tx, _ Outcome) error {
		tx.AppendWithID(r.subject, r.msgID+"-outcome", &Verified{VerificationID: r.cb.VerificationID, CallbackID: r.cb.CallbackID, Info: info})
		return nil
	})
}

// fail records a refused exchange; the commit rule wants it committed as
// the refusal it is.
func (r recorder) fail(ctx context.Context, refusal *domain.Error, reason string) error {
	err := r.append(ctx, func(tx *eventstore.Tx, _ Outcome) error { return r.failure(tx, refusal, reason) })
	if _, refused := domain.AsError(err); refused {
		return nil
	}
	return err
}

// failure queues the refused exchange's event and returns the refusal.
func (r recorder) failure(tx *eventstore.Tx, refusal *domain.Error, reason string) error {
	tx.Failure(r.subject, &VerificationFailed{VerificationID: r.cb.VerificationID, CallbackID: r.cb.CallbackID,
		Code: refusal.Code, Reason: reason})
	return refusal
}

// append runs fn unless the callback has an outcome, retrying conflicts
// (the user may act on the interaction meanwhile) until ctx ends.
func (r recorder) append(ctx context.Context, fn func(tx *eventstore.Tx, out Outcome) error) error {
	for {
		meta := r.meta
		meta.Time = r.w.m.h.Clock().Now()
		err := r.w.m.d.Store.Run(ctx, meta, func(tx *eventstore.Tx) error {
			envs, err := tx.Load(ctx, r.subject)
			if err != nil {
				return err
			}
			events, err := eventstore.Decode(envs, r.w.m.h.Events())
			if err != nil {
				return err
			}
			out := outcomeOf(events, r.cb.CallbackID)
			if out.Done {
				return nil
			}
			return fn(tx, out)
		})
		if !errors.Is(err, eventstore.ErrConflict) || ctx.Err() != nil {
			return err
		}
	}
}

// outcome reads what the log says of callback.
func (m *Method) outcome(ctx context.Context, subject, callback string) (Outcome, error) {
	envs, _, err := m.d.Store.Load(ctx, subject)
	if err != nil {
		return Outcome{}, err
	}
	events, err := eventstore.Decode(envs, m.h.Events())
	if err != nil {
		return Outcome{}, err
	}
	return outcomeOf(events, callback), nil
}

// grace is how long past the exchange's deadline verify waits for the
// worker to record that the provider did not answer in time.
const grace = 500 * time.Millisecond

// await waits for the outcome of callback: woken by every event on the
// interaction's subject (a core subscription sees each append), and
// reading the log then. With no outcome by the deadline it records the
// refusal itself, so the trail says the request gave up.
func (m *Method) await(ctx context.Context, meta eventstore.Metadata, subject, verificationID, callback string) error {
	sub, err := m.d.Store.JetStream().Conn().SubscribeSync(subject)
	if err != nil {
		return err
	}
	defer func() { _ = sub.Unsubscribe() }()
	limit := time.Now().Add(m.d.Timeout + grace)
	for {
		out, err := m.outcome(ctx, subject, callback)
		if err != nil {
			return err
		}
		if out.Done {
			if out.Err != nil {
				return out.Err
			}
			return nil
		}
		wait := time.Until(limit)
		if wait <= 0 {
			return m.giveUp(ctx, meta, subject, verificationID, callback)
		}
		msg, err := sub.NextMsgWithContext(ctxWithin(ctx, min(wait, 250*time.Millisecond)))
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) {
			return err
		}
		if msg != nil && isOutcome(msg.Header.Get(eventstore.HeaderType)) {
			// A core subscriber may see the append before the stream
			// stored it: read again shortly rather than at the next wake.
			if err := m.settle(ctx, subject, callback); err != nil {
				return err
			}
		}
	}
}

func isOutcome(eventType string) bool {
	return eventType == (Verified{}).EventType() || eventType == (VerificationFailed{}).EventType()
}

// settle reads the log a few times over some milliseconds, until the
// outcome is stored.
func (m *Method) settle(ctx context.Context, subject, callback string) error {
	for wait := time.Millisecond; wait <= 32*time.Millisecond; wait *= 2 {
		out, err := m.outcome(ctx, subject, callback)
		if err != nil || out.Done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	return nil
}

func ctxWithin(ctx context.Context, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(ctx, d)
	context.AfterFunc(c, cancel)
	return c
}

// giveUp records that no outcome came in time, unless one just did.
func (m *Method) giveUp(ctx context.Context, meta eventstore.Metadata, subject, verificationID, callback string) error {
	meta.Time = m.h.Clock().Now()
	return m.d.Store.Run(ctx, meta, func(tx *eventstore.Tx) error {
		envs, err := tx.Load(ctx, subject)
		if err != nil {
			return err
		}
		events, err := eventstore.Decode(envs, m.h.Events())
		if err != nil {
			return err
		}
		if out := outcomeOf(events, callback); out.Done {
			if out.Err != nil {
				return out.Err
			}
			return nil
		}
		refusal := domain.E("connector.general")
		tx.Failure(subject, &VerificationFailed{VerificationID: verificationID, CallbackID: callback,
			Code: refusal.Code, Reason: "no outcome in time: the provider or the worker did not answer"})
		return refusal
	})
}
