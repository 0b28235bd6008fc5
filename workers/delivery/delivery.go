// Package delivery is the worker that sends verification codes. It consumes
// the delivery.requested outbox, finds the code request of the send in the
// aggregate holding it (an interaction's interaction.code.requested, or an
// MFA API registration's or verification's mfa.code.requested), opens the
// sealed code with the send's data key, hands the message to the email or
// SMS connector, records the outcome on that aggregate with its own event
// type (interaction.code.sent / delivery_failed, mfa.code.sent /
// delivery_failed), and deletes the data key, so the code can never be read
// again.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/codekeys"
	"github.com/authtrail/authtrail/workers"
	"github.com/authtrail/authtrail/workers/connectors"
)

// Name is the worker's handler name (poison subject poison.<Name>).
const Name = "code_delivery"

// PerConnector is how many sends one connector (email, SMS) makes at once.
const PerConnector = 4

// Consumer is the worker's durable consumer on the delivery outbox. Sends
// are independent of each other, so it hands out as many at once as both
// connectors together may make; each connector is bounded by PerConnector.
func Consumer() workers.ConsumerConfig {
	return workers.ConsumerConfig{Stream: eventstore.DefaultStream, Durable: "wrk_" + Name,
		FilterSubjects: []string{eventstore.SubjectPrefix + "." + code.DeliveryAggregateType + ".>"},
		Concurrency:    2 * PerConnector}
}

// Options configure the worker. A nil sender means no connector of that kind.
type Options struct {
	Store *eventstore.Store
	// Events decodes the aggregates that hold code requests, by aggregate
	// type: the server's catalogue (api.Server.Catalogue), which knows the
	// events of every registered authentication method.
	Events map[string]domain.Registry
	Keys   *codekeys.Store
	Email  connectors.Sender
	SMS    connectors.Sender
	Clock  domain.Clock
	Log    *slog.Logger
	// Backoff are the waits between connector attempts (default 200ms, 1s, 5s).
	Backoff []time.Duration
}

// Worker delivers codes.
type Worker struct {
	o Options
	// slots bound each connector's sends in flight, by channel.
	slots map[string]chan struct{}
}

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
	return &Worker{o: o, slots: map[string]chan struct{}{
		code.ChannelEmail: make(chan struct{}, PerConnector), code.ChannelSMS: make(chan struct{}, PerConnector)}}
}

// codeRequest is a code request event the worker can send: implemented by
// the verification-code method's Requested and mfaapi.CodeRequested.
type codeRequest interface {
	CodeDelivery() code.Delivery
	// DeliveryOutcome is the aggregate's event for the outcome: sent
	// when reason is empty, else failed.
	DeliveryOutcome(reason string) domain.Event
}

// outcome is a recorded outcome of a send.
type outcome interface{ DeliveredSendID() string }

// holders are the aggregate types whose code requests the worker sends.
var holders = []string{interaction.AggregateType, mfaapi.RegistrationAggregate, mfaapi.VerificationAggregate}

// requestSubject is the aggregate holding the request's code, and its
// type: Subject, or the interaction for requests without one.
func requestSubject(req code.DeliveryRequested) (subject, aggType string, err error) {
	if req.Subject == "" {
		subject, err = eventstore.Subject(interaction.AggregateType, req.InteractionID)
		return subject, interaction.AggregateType, err
	}
	for _, agg := range holders {
		id, ok := strings.CutPrefix(req.Subject, eventstore.SubjectPrefix+"."+agg+".")
		if ok {
			subject, err = eventstore.Subject(agg, id)
			return subject, agg, err
		}
	}
	return "", "", errors.New("delivery: no code request can be held by " + req.Subject)
}

// Handle processes one delivery request; other event types are acked.
func (w *Worker) Handle(msg *message.Message) error {
	if msg.Metadata.Get(eventstore.HeaderType) != (code.DeliveryRequested{}).EventType() {
		return nil
	}
	var req code.DeliveryRequested
	if err := json.Unmarshal(msg.Payload, &req); err != nil {
		return workers.Permanent(err)
	}
	ctx := msg.Context()
	subject, aggType, err := requestSubject(req)
	if err != nil {
		return workers.Permanent(err)
	}
	ev, done, err := w.pending(ctx, subject, aggType, req.SendID)
	if errors.Is(err, errNoRequest) {
		ev, done, err = w.awaitRequest(ctx, msg, subject, aggType, req.SendID)
	}
	if errors.Is(err, errAbandoned) {
		return nil
	}
	if err != nil {
		return err
	}
	if done {
		// A crash between recording the outcome and erasing the key
		// leaves the key; the redelivery erases it.
		return w.o.Keys.Delete(ctx, req.SendID)
	}
	d := ev.CodeDelivery()
	plain, reason := w.open(ctx, d)
	if reason == "" {
		reason = w.send(ctx, d, plain)
	}
	if reason != "" {
		if err := w.record(ctx, subject, msg, ev.DeliveryOutcome(reason)); err != nil {
			return err
		}
		_ = w.o.Keys.Delete(ctx, d.SendID)
		return workers.Permanent(errors.New("delivery: " + reason))
	}
	if err := w.record(ctx, subject, msg, ev.DeliveryOutcome("")); err != nil {
		return err
	}
	return w.o.Keys.Delete(ctx, d.SendID)
}

// pending finds the code request of a send in its aggregate; done reports
// an outcome already recorded, so a redelivered request never sends twice.
func (w *Worker) pending(ctx context.Context, subject, aggType, sendID string) (codeRequest, bool, error) {
	registry, ok := w.o.Events[aggType]
	if !ok {
		return nil, false, workers.Permanent(errors.New("delivery: no registry for " + aggType + " events"))
	}
	envs, _, err := w.o.Store.Load(ctx, subject)
	if err != nil {
		return nil, false, err
	}
	events, err := eventstore.Decode(envs, registry)
	if err != nil {
		return nil, false, err
	}
	var found codeRequest
	for _, ev := range events {
		if o, ok := ev.(outcome); ok && o.DeliveredSendID() == sendID {
			return nil, true, nil
		}
		if req, ok := ev.(codeRequest); ok && found == nil {
			if d := req.CodeDelivery(); d.SendID == sendID && d.Sealed != "" {
				found = req
			}
		}
	}
	if found != nil {
		return found, false, nil
	}
	return nil, false, errNoRequest
}

var (
	errNoRequest = errors.New("delivery: no code request for the send (yet)")
	errAbandoned = errors.New("delivery: abandoned")
)

// Waiting for a code request that follows its delivery request: the
// Experience API appends the request first (docs/architecture.md, Claims),
// so the worker often reads the aggregate a moment before the code record
// lands. It looks again for about a second, then leaves the message to be
// redelivered (after the consumer's back-off); a request older than
// abandonAfter whose record never came is abandoned, recorded on the
// outbox, and its data key erased: its request failed after asking.
var (
	awaitDelays  = []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond, 16 * time.Millisecond, 32 * time.Millisecond, 64 * time.Millisecond, 128 * time.Millisecond, 256 * time.Millisecond, 512 * time.Millisecond}
	abandonAfter = time.Minute
)

func (w *Worker) awaitRequest(ctx context.Context, msg *message.Message, subject, aggType, sendID string) (codeRequest, bool, error) {
	for _, d := range awaitDelays {
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-time.After(d):
		}
		ev, done, err := w.pending(ctx, subject, aggType, sendID)
		if !errors.Is(err, errNoRequest) {
			return ev, done, err
		}
	}
	env, err := workers.Envelope(msg)
	if err != nil {
		return nil, false, workers.Permanent(err)
	}
	if w.o.Clock.Now().Sub(env.Time) < abandonAfter {
		return nil, false, errNoRequest
	}
	if err := w.record(ctx, env.Subject, msg, &code.DeliveryAbandoned{SendID: sendID, Reason: "no code request was recorded for the send"}); err != nil {
		return nil, false, err
	}
	_ = w.o.Keys.Delete(ctx, sendID)
	return nil, false, errAbandoned
}

// open recovers the plain code, or names why it cannot be sent.
func (w *Worker) open(ctx context.Context, ev code.Delivery) (string, string) {
	if !w.o.Clock.Now().Before(ev.ExpiresAt) {
		return "", domain.E("verification_code.expired").Code
	}
	key, err := w.o.Keys.Get(ctx, ev.SendID)
	if errors.Is(err, codekeys.ErrNotFound) {
		return "", domain.E("verification_code.expired").Code
	}
	if err != nil {
		return "", domain.E("delivery.key_unavailable").Code
	}
	plain, err := code.Open(key, ev.SendID, ev.Sealed)
	if err != nil {
		return "", domain.E("delivery.code_unreadable").Code
	}
	return plain, ""
}

// send tries the connector with backoff; "" means it took the message.
func (w *Worker) send(ctx context.Context, ev code.Delivery, plain string) string {
	sender := w.o.Email
	if ev.Channel == code.ChannelSMS {
		sender = w.o.SMS
	}
	if sender == nil {
		return domain.E("connector.not_found").Code
	}
	m := connectors.Message{ID: ev.SendID, Channel: ev.Channel, To: ev.To, Code: plain,
		Template: ev.Template, ExpiresIn: ev.ExpiresAt.Sub(w.o.Clock.Now()).Round(time.Minute)}
	if ev.CustomMessage != "" {
		m.Text = code.FillTemplate(ev.CustomMessage, plain, m.ExpiresIn)
	}
	if slots := w.slots[ev.Channel]; slots != nil {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		case <-ctx.Done():
			return domain.E("delivery.cancelled").Code
		}
	}
	var err error
	for attempt := 0; ; attempt++ {
		if err = sender.Send(ctx, m); err == nil {
			return ""
		}
		w.o.Log.WarnContext(ctx, "code delivery failed", "sendId", ev.SendID, "attempt", attempt+1, "err", err)
		if workers.IsPermanent(err) || attempt == len(w.o.Backoff) {
			break
		}
		select {
		case <-ctx.Done():
			return domain.E("delivery.cancelled").Code
		case <-time.After(w.o.Backoff[attempt]):
		}
	}
	var cerr *connectors.Error
	if errors.As(err, &cerr) && cerr.Code != "" {
		return cerr.Code
	}
	return connectors.CodeGeneral
}

// recordAttempts bounds how often record runs its store transaction (each
// deciding again up to five times, with growing pauses) before it gives
// up: seconds of a user acting without pause, within the handler's
// timeout, which also ends it.
const recordAttempts = 200

// record appends the outcome with an id derived from the send, so a retry
// after a lost acknowledgement stores it once. The outcome depends on
// nothing the aggregate holds, so a conflict only means the user acted
// meanwhile; record keeps trying, since giving up would have the request
// redelivered and the code sent a second time.
func (w *Worker) record(ctx context.Context, subject string, msg *message.Message, ev domain.Event) error {
	meta := eventstore.Metadata{Time: w.o.Clock.Now(), Actor: "worker:" + Name,
		CorrelationID: msg.Metadata.Get(eventstore.HeaderCorrelationID), CausationID: msg.UUID}
	var err error
	for range recordAttempts {
		err = w.o.Store.Run(ctx, meta, func(tx *eventstore.Tx) error {
			if _, err := tx.Load(ctx, subject); err != nil {
				return err
			}
			tx.AppendWithID(subject, msg.UUID+"-outcome", ev)
			return nil
		})
		if !errors.Is(err, eventstore.ErrConflict) || ctx.Err() != nil {
			return err
		}
	}
	return err
}
