// Package delivery is the worker that sends verification codes. It consumes
// interaction.code.requested events, opens the sealed code with the send's
// data key, hands the message to the email or SMS connector, records
// interaction.code.sent or interaction.code.delivery_failed, and deletes the
// data key, so the code can never be read again.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/codekeys"
	"github.com/authtrail/authtrail/workers"
	"github.com/authtrail/authtrail/workers/connectors"
)

// Name is the worker's handler name (poison subject poison.<Name>).
const Name = "code_delivery"

// Consumer is the worker's durable consumer on the delivery outbox.
func Consumer() workers.ConsumerConfig {
	return workers.ConsumerConfig{Stream: eventstore.DefaultStream, Durable: "wrk_" + Name,
		FilterSubjects: []string{eventstore.SubjectPrefix + "." + interaction.DeliveryAggregateType + ".>"}}
}

// Options configure the worker. A nil sender means no connector of that kind.
type Options struct {
	Store *eventstore.Store
	Keys  *codekeys.Store
	Email connectors.Sender
	SMS   connectors.Sender
	Clock domain.Clock
	Log   *slog.Logger
	// Backoff are the waits between connector attempts (default 200ms, 1s, 5s).
	Backoff []time.Duration
}

// Worker delivers codes.
type Worker struct{ o Options }

// New builds the worker.
func New(o Options) *Worker {
	if o.Clock == nil {
		o.Clock = domain.SystemClock{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Backoff == nil {
		o.Backoff = []time.Duration{200 * time.Millisecond, time.Second, 5 * time.Second}
	}
	return &Worker{o: o}
}

// Handle processes one delivery request; other event types are acked.
func (w *Worker) Handle(msg *message.Message) error {
	if msg.Metadata.Get(eventstore.HeaderType) != (interaction.DeliveryRequested{}).EventType() {
		return nil
	}
	var req interaction.DeliveryRequested
	if err := json.Unmarshal(msg.Payload, &req); err != nil {
		return workers.Permanent(err)
	}
	ctx := msg.Context()
	subject, err := eventstore.Subject(interaction.AggregateType, req.InteractionID)
	if err != nil {
		return workers.Permanent(err)
	}
	ev, done, err := w.pending(ctx, subject, req.SendID)
	if err != nil || done {
		return err
	}
	plain, reason := w.open(ctx, *ev)
	if reason == "" {
		reason = w.send(ctx, *ev, plain)
	}
	if reason != "" {
		if err := w.record(ctx, subject, msg, &interaction.CodeDeliveryFailed{SendID: ev.SendID, Reason: reason}); err != nil {
			return err
		}
		_ = w.o.Keys.Delete(ctx, ev.SendID)
		return workers.Permanent(errors.New("delivery: " + reason))
	}
	if err := w.record(ctx, subject, msg, &interaction.CodeSent{SendID: ev.SendID, Channel: channel(ev.RecordType)}); err != nil {
		return err
	}
	return w.o.Keys.Delete(ctx, ev.SendID)
}

// pending finds the code request of a send in the interaction; done
// reports an outcome already recorded, so a redelivered request never
// sends twice.
func (w *Worker) pending(ctx context.Context, subject, sendID string) (*interaction.CodeRequested, bool, error) {
	envs, _, err := w.o.Store.Load(ctx, subject)
	if err != nil {
		return nil, false, err
	}
	events, err := eventstore.Decode(envs, interaction.Events)
	if err != nil {
		return nil, false, err
	}
	if interaction.Fold(events).Deliveries[sendID] != "" {
		return nil, true, nil
	}
	for _, ev := range events {
		if req, ok := ev.(*interaction.CodeRequested); ok && req.SendID == sendID && req.SealedCode != "" {
			return req, false, nil
		}
	}
	return nil, false, workers.Permanent(errors.New("delivery: no code request for send " + sendID))
}

// open recovers the plain code, or names why it cannot be sent.
func (w *Worker) open(ctx context.Context, ev interaction.CodeRequested) (string, string) {
	if !w.o.Clock.Now().Before(ev.ExpiresAt) {
		return "", "verification_code.expired"
	}
	key, err := w.o.Keys.Get(ctx, ev.SendID)
	if errors.Is(err, codekeys.ErrNotFound) {
		return "", "verification_code.expired"
	}
	if err != nil {
		return "", "delivery.key_unavailable"
	}
	plain, err := code.Open(key, ev.SendID, ev.SealedCode)
	if err != nil {
		return "", "delivery.code_unreadable"
	}
	return plain, ""
}

// send tries the connector with backoff; "" means it took the message.
func (w *Worker) send(ctx context.Context, ev interaction.CodeRequested, plain string) string {
	sender := w.o.Email
	if channel(ev.RecordType) == "sms" {
		sender = w.o.SMS
	}
	if sender == nil {
		return "connector.not_found"
	}
	m := connectors.Message{Channel: channel(ev.RecordType), To: ev.Identifier.Value, Code: plain,
		Template: ev.Template, ExpiresIn: ev.ExpiresAt.Sub(w.o.Clock.Now()).Round(time.Minute)}
	var err error
	for attempt := 0; ; attempt++ {
		if err = sender.Send(ctx, m); err == nil {
			return ""
		}
		w.o.Log.Warn("code delivery failed", "sendId", ev.SendID, "attempt", attempt+1, "err", err)
		if workers.IsPermanent(err) || attempt == len(w.o.Backoff) {
			break
		}
		select {
		case <-ctx.Done():
			return "delivery.cancelled"
		case <-time.After(w.o.Backoff[attempt]):
		}
	}
	var cerr *connectors.Error
	if errors.As(err, &cerr) && cerr.Code != "" {
		return cerr.Code
	}
	return "connector.general"
}

// record appends the outcome with an id derived from the send, so a retry
// after a lost acknowledgement stores it once.
func (w *Worker) record(ctx context.Context, subject string, msg *message.Message, ev domain.Event) error {
	meta := eventstore.Metadata{Time: w.o.Clock.Now(), Actor: "worker:" + Name,
		CorrelationID: msg.Metadata.Get(eventstore.HeaderCorrelationID), CausationID: msg.UUID}
	return w.o.Store.Run(ctx, meta, func(tx *eventstore.Tx) error {
		if _, err := tx.Load(ctx, subject); err != nil {
			return err
		}
		tx.AppendWithID(subject, msg.UUID+"-outcome", ev)
		return nil
	})
}

func channel(recordType string) string {
	if recordType == interaction.RecordPhoneCode {
		return "sms"
	}
	return "email"
}
