package federated

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
)

// outcome reads what the log says of callback.
func (f *Flow) outcome(ctx context.Context, subject, callback string) (Outcome, error) {
	envs, _, err := f.d.Store.Load(ctx, subject)
	if err != nil {
		return Outcome{}, err
	}
	events, err := eventstore.Decode(envs, f.h.Events())
	if err != nil {
		return Outcome{}, err
	}
	return outcomeOf(events, callback), nil
}

// grace is how long past the exchange's deadline verify waits for the
// worker to record that the provider did not answer in time.
const grace = 500 * time.Millisecond

// outcomeSubject is where the worker says an interaction's outcome is
// stored: a core NATS subject outside every stream.
func outcomeSubject(interactionSubject string) string {
	return "_authtrail.connector_outcomes." + strings.TrimPrefix(interactionSubject, eventstore.SubjectPrefix+".")
}

// await waits for the outcome of callback: woken by the worker once it
// stored one (outcomeSubject), and reading the log then, else every
// pollInterval. With no outcome by the deadline it records the refusal
// itself, so the trail says the request gave up.
func (f *Flow) await(ctx context.Context, meta eventstore.Metadata, subject, verificationID, callback string) error {
	sub, err := f.d.Store.JetStream().Conn().SubscribeSync(outcomeSubject(subject))
	if err != nil {
		return err
	}
	defer func() { _ = sub.Unsubscribe() }()
	limit := time.Now().Add(f.d.Timeout + grace)
	for {
		out, err := f.outcome(ctx, subject, callback)
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
			return f.giveUp(ctx, meta, subject, verificationID, callback)
		}
		msg, err := sub.NextMsgWithContext(ctxWithin(ctx, min(wait, pollInterval)))
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) {
			return err
		}
		if msg != nil && string(msg.Data) == callback {
			return nil // stored, and the callback's (recorder.notify)
		}
	}
}

// pollInterval is how often a waiting request reads the log without a
// wake-up (one lost, or an outcome another process recorded).
const pollInterval = 250 * time.Millisecond

func ctxWithin(ctx context.Context, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(ctx, d)
	context.AfterFunc(c, cancel)
	return c
}

// giveUp records that no outcome came in time, unless one just did.
func (f *Flow) giveUp(ctx context.Context, meta eventstore.Metadata, subject, verificationID, callback string) error {
	meta.Time = f.h.Clock().Now()
	return f.d.Store.Run(ctx, meta, func(tx *eventstore.Tx) error {
		envs, err := tx.Load(ctx, subject)
		if err != nil {
			return err
		}
		events, err := eventstore.Decode(envs, f.h.Events())
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
		tx.Failure(subject, &VerificationFailed{kind: f.kind, VerificationID: verificationID, CallbackID: callback,
			Code: refusal.Code, Reason: "no outcome in time: the provider or the worker did not answer"})
		return refusal
	})
}
