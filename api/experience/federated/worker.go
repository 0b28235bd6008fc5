package federated

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers"
	"github.com/authtrail/authtrail/workers/connectors"
)

// workerConcurrency is how many exchanges the worker makes at once: each
// waits on a provider, not on this machine.
const workerConcurrency = 16

// Worker exchanges the callbacks verify records (CallbackReceived) for the
// user's identity and records the outcome on the interaction. It works
// with the Handler the method is mounted on: its events, clock and log.
type Worker struct{ f *Flow }

// Worker returns the flow's connector worker; the method must be mounted.
func (f *Flow) Worker() *Worker { return &Worker{f: f} }

// Name is the worker's handler name.
func (w *Worker) Name() string { return w.f.kind.WorkerName }

// Consumer reads the interactions' events, several at once.
func (w *Worker) Consumer() workers.ConsumerConfig {
	return workers.ConsumerConfig{Stream: eventstore.DefaultStream, Durable: workers.DurablePrefix + w.f.kind.WorkerName,
		FilterSubjects: []string{eventstore.SubjectPrefix + "." + interaction.AggregateType + ".>"},
		Types:          []string{(CallbackReceived{kind: w.f.kind}).EventType()},
		Concurrency:    workerConcurrency}
}

// Handle exchanges one callback; other events are acked. A callback with
// an outcome is passed over, and one whose exchange started without an
// outcome (the worker stopped mid-call) is recorded as interrupted rather
// than exchanged again: a provider never sees a code twice.
func (w *Worker) Handle(msg *message.Message) error {
	if msg.Metadata.Get(eventstore.HeaderType) != (CallbackReceived{kind: w.f.kind}).EventType() {
		return nil
	}
	env, err := workers.Envelope(msg)
	if err != nil {
		return workers.Permanent(err)
	}
	cb := CallbackReceived{kind: w.f.kind}
	if err := json.Unmarshal(env.Data, &cb); err != nil {
		return workers.Permanent(err)
	}
	ctx := msg.Context()
	meta := eventstore.Metadata{Actor: "worker:" + w.f.kind.WorkerName,
		CorrelationID: msg.Metadata.Get(eventstore.HeaderCorrelationID), CausationID: msg.UUID}
	rec := &recorder{w: w, subject: env.Subject, meta: meta, cb: cb, msgID: msg.UUID, seq: env.Seq, version: env.AggVersion}
	if started, err := rec.start(ctx); err != nil || !started {
		return err
	}
	c, ok := w.f.connectors[cb.ConnectorID]
	if !ok {
		return rec.fail(ctx, domain.E("connector.invalid_config"), "connector "+cb.ConnectorID+" is no longer configured")
	}
	answer, a, err := w.f.openCallback(cb)
	if err != nil {
		return rec.fail(ctx, domain.E("connector.general"), "the callback cannot be opened: "+err.Error())
	}
	// The API waits until the deadline; the exchange must end before it.
	callCtx, cancel := context.WithTimeout(ctx, max(cb.Deadline.Sub(w.f.h.Clock().Now()), time.Millisecond))
	defer cancel()
	info, err := c.Provider.Exchange(callCtx, a, answer)
	if err != nil {
		w.f.h.Log().WarnContext(ctx, w.f.kind.Name+" exchange failed", "connectorId", c.ID, "err", err)
		return rec.fail(ctx, ProviderError(err), err.Error())
	}
	return rec.verified(ctx, info)
}

// openCallback unseals a callback's answer and its authorization.
func (f *Flow) openCallback(cb CallbackReceived) (string, connectors.Authorization, error) {
	var a connectors.Authorization
	answer, err := f.Open(cb.Code, cb.CallbackID)
	if err != nil {
		return "", a, err
	}
	plain, err := f.Open(cb.Secrets, cb.VerificationID)
	if err != nil {
		return "", a, err
	}
	err = json.Unmarshal(plain, &a)
	if a.RedirectURI == "" {
		a.RedirectURI = cb.RedirectURI
	}
	return string(answer), a, err
}

// ProviderError is the refusal a provider failure answers.
func ProviderError(err error) *domain.Error {
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
	// seq and version are the interaction's last event as the recorder
	// knows it: the callback, then its own start.
	seq, version uint64
}

// appendNext appends ev right after the event the recorder knows is the
// interaction's last, without reading the interaction: nothing can have
// been decided on this callback since. false when the interaction moved
// on (a conflict): the caller reads it and decides.
func (r *recorder) appendNext(ctx context.Context, id string, ev domain.Event) (bool, error) {
	meta := r.meta
	meta.Time = r.w.f.h.Clock().Now()
	envs, err := r.w.f.d.Store.Append(ctx, meta, eventstore.Write{Subject: r.subject, ExpectedSeq: r.seq, Version: r.version,
		Events: []eventstore.Pending{{ID: id, Event: ev}}})
	if errors.Is(err, eventstore.ErrConflict) || err == nil && len(envs) != 1 {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r.seq, r.version = envs[0].Seq, envs[0].AggVersion
	return true, nil
}

// start records the exchange's start, in one read of the interaction:
// false when an outcome came first (the API gave up waiting), or when an
// earlier start has none (the worker stopped mid-call: recorded as
// interrupted, never exchanged again).
func (r *recorder) start(ctx context.Context) (bool, error) {
	// Most often the callback is still the last event: the start follows
	// it unread. Its id is fresh, not the message's: a redelivered
	// callback must conflict here, not pass as a duplicate of the start
	// of a worker that stopped mid-call.
	if ok, err := r.appendNext(ctx, "", &ExchangeStarted{kind: r.w.f.kind, VerificationID: r.cb.VerificationID, CallbackID: r.cb.CallbackID}); err != nil || ok {
		return ok, err
	}
	started := false
	err := r.append(ctx, func(tx *eventstore.Tx, out Outcome) error {
		if out.Started {
			return r.failure(tx, domain.E("connector.general"), "interrupted: the worker stopped during the exchange")
		}
		tx.AppendWithID(r.subject, r.msgID+"-started", &ExchangeStarted{kind: r.w.f.kind, VerificationID: r.cb.VerificationID, CallbackID: r.cb.CallbackID})
		started = true
		return nil
	})
	if _, refused := domain.AsError(err); refused {
		return false, nil
	}
	return started, err
}

func (r *recorder) verified(ctx context.Context, info connectors.UserInfo) error {
	// After its own start, unread; the read path when anything came
	// between (the request gave up waiting, say).
	ok, err := r.appendNext(ctx, r.msgID+"-outcome", &Verified{kind: r.w.f.kind, VerificationID: r.cb.VerificationID,
		CallbackID: r.cb.CallbackID, Info: info})
	if ok {
		// Nothing came between the start and this outcome: it is the
		// callback's, and the wake-up may say so.
		r.notify(r.cb.CallbackID)
	}
	if err != nil || ok {
		return err
	}
	defer r.notify("")
	return r.append(ctx, func(tx *eventstore.Tx, _ Outcome) error {
		tx.AppendWithID(r.subject, r.msgID+"-outcome", &Verified{kind: r.w.f.kind, VerificationID: r.cb.VerificationID, CallbackID: r.cb.CallbackID, Info: info})
		return nil
	})
}

// notify wakes the request waiting on the interaction once an outcome is
// stored (the append was acknowledged), naming the callback verified when
// the worker knows its outcome is the log's (verified is the callback's
// id): the request then answers without reading the log; else it reads
// it, and it polls when a wake-up is lost.
func (r *recorder) notify(verified string) {
	_ = r.w.f.d.Store.JetStream().Conn().Publish(outcomeSubject(r.subject), []byte(verified))
}

// fail records a refused exchange; the commit rule wants it committed as
// the refusal it is.
func (r *recorder) fail(ctx context.Context, refusal *domain.Error, reason string) error {
	defer r.notify("")
	err := r.append(ctx, func(tx *eventstore.Tx, _ Outcome) error { return r.failure(tx, refusal, reason) })
	if _, refused := domain.AsError(err); refused {
		return nil
	}
	return err
}

// failure queues the refused exchange's event and returns the refusal.
func (r *recorder) failure(tx *eventstore.Tx, refusal *domain.Error, reason string) error {
	tx.Failure(r.subject, &VerificationFailed{kind: r.w.f.kind, VerificationID: r.cb.VerificationID, CallbackID: r.cb.CallbackID,
		Code: refusal.Code, Reason: reason})
	return refusal
}

// append runs fn unless the callback has an outcome, retrying conflicts
// (the user may act on the interaction meanwhile) until ctx ends.
func (r *recorder) append(ctx context.Context, fn func(tx *eventstore.Tx, out Outcome) error) error {
	for {
		meta := r.meta
		meta.Time = r.w.f.h.Clock().Now()
		err := r.w.f.d.Store.Run(ctx, meta, func(tx *eventstore.Tx) error {
			envs, err := tx.Load(ctx, r.subject)
			if err != nil {
				return err
			}
			events, err := eventstore.Decode(envs, r.w.f.h.Events())
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
