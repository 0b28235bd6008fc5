package federated

import (
	"context"
	"errors"
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

// await waits for the outcome of callback: woken by every event on the
// interaction's subject (a core subscription sees each append), and
// reading the log then. With no outcome by the deadline it records the
// refusal itself, so the trail says the request gave up.
func (f *Flow) await(ctx context.Context, meta eventstore.Metadata, subject, verificationID, callback string) error {
	sub, err := f.d.Store.JetStream().Conn().SubscribeSync(subject)
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
		msg, err := sub.NextMsgWithContext(ctxWithin(ctx, min(wait, 250*time.Millisecond)))
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) {
			return err
		}
		if msg != nil && f.isOutcome(msg.Header.Get(eventstore.HeaderType)) {
			// A core subscriber may see the append before the stream
			// stored it: read again shortly rather than at the next wake.
			if err := f.settle(ctx, subject, callback); err != nil {
				return err
			}
		}
	}
}

func (f *Flow) isOutcome(eventType string) bool {
	return eventType == (Verified{kind: f.kind}).EventType() || eventType == (VerificationFailed{kind: f.kind}).EventType()
}

// settle reads the log a few times over some milliseconds, until the
// outcome is stored.
func (f *Flow) settle(ctx context.Context, subject, callback string) error {
	for wait := time.Millisecond; wait <= 32*time.Millisecond; wait *= 2 {
		out, err := f.outcome(ctx, subject, callback)
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
