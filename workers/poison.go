package workers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore"
)

// The poison queue: events a handler gave up on, kept for inspection and
// manual replay.
const (
	PoisonStream        = "POISON"
	PoisonSubjectPrefix = "poison"
	PoisonMaxAge        = 30 * 24 * time.Hour
	// PoisonHeaderEventID carries the poisoned event's id; the event's own
	// Nats-Msg-Id is not copied, as it would deduplicate the copies two
	// handlers make of the same event.
	PoisonHeaderEventID = "Poison-Event-Id"
)

const (
	poisonPublishTimeout = 10 * time.Second
	// maxPoisonHeader keeps one header (a panic's stack trace) well inside
	// the server's payload limit.
	maxPoisonHeader = 8 << 10
)

// PoisonSubject is the subject a handler's poisoned events go to.
func PoisonSubject(handler string) string {
	return PoisonSubjectPrefix + "." + handler
}

// PoisonPublisher is a watermill Publisher that writes poisoned messages to
// the POISON stream. It uses the connection it is given and never closes
// it.
type PoisonPublisher struct {
	js  jetstream.JetStream
	log watermill.LoggerAdapter // the Router sets its own
}

var _ message.Publisher = (*PoisonPublisher)(nil)

// NewPoisonPublisher creates or updates the POISON stream and returns a
// publisher on it. replicas is the stream's replica count (1 if < 1).
func NewPoisonPublisher(ctx context.Context, nc *nats.Conn, replicas int) (*PoisonPublisher, error) {
	if nc == nil {
		return nil, errors.New("workers: nil NATS connection")
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("workers: jetstream: %w", err)
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       PoisonStream,
		Subjects:   []string{PoisonSubjectPrefix + ".>"},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		MaxAge:     PoisonMaxAge,
		Replicas:   max(replicas, 1),
		Discard:    jetstream.DiscardOld,
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("workers: create or update stream %s: %w", PoisonStream, err)
	}
	return &PoisonPublisher{js: js, log: watermill.NopLogger{}}, nil
}

// Publish stores each message on topic, which must be a poison subject
// (poison.<handler>): the original payload, with its metadata as headers.
func (p *PoisonPublisher) Publish(topic string, msgs ...*message.Message) error {
	if !strings.HasPrefix(topic, PoisonSubjectPrefix+".") {
		return fmt.Errorf("workers: poison topic %q is outside %s.>", topic, PoisonSubjectPrefix)
	}
	for _, msg := range msgs {
		if err := p.publish(topic, msg); err != nil {
			return err
		}
	}
	return nil
}

func (p *PoisonPublisher) publish(topic string, msg *message.Message) error {
	out := nats.NewMsg(topic)
	for key, value := range msg.Metadata {
		// Control headers (Nats-Msg-Id, Nats-Expected-...) would steer
		// this publish; keep only descriptive ones.
		if strings.HasPrefix(strings.ToLower(key), "nats-") {
			continue
		}
		out.Header.Set(key, headerValue(value))
	}
	out.Header.Set(PoisonHeaderEventID, msg.UUID)
	out.Data = msg.Payload

	// The middlewares leave the message's context cancelled (Timeout) by
	// the time it is poisoned; keep its values, not its deadline.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(msg.Context()), poisonPublishTimeout)
	defer cancel()
	// The id makes a retried poisoning of the same delivery a no-op.
	_, err := p.js.PublishMsg(ctx, out,
		jetstream.WithExpectStream(PoisonStream),
		jetstream.WithMsgID(msg.UUID+":"+topic))
	if err != nil {
		return fmt.Errorf("workers: publish %s to %s: %w", msg.UUID, topic, err)
	}
	// The poison middleware swallows the handler's error; say it here.
	p.log.Error("Handler gave up on an event; copied to the poison queue",
		errors.New(msg.Metadata.Get(middleware.ReasonForPoisonedKey)),
		watermill.LogFields{"message_uuid": msg.UUID, "event_type": msg.Metadata.Get(eventstore.HeaderType), "poison_subject": topic})
	return nil
}

// Close does nothing: the publisher holds no resources of its own.
func (p *PoisonPublisher) Close() error { return nil }

// headerValue makes value safe for a NATS header, which ends at a line
// break: line breaks are escaped and the length is capped.
func headerValue(value string) string {
	value = strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(value)
	if len(value) > maxPoisonHeader {
		value = strings.ToValidUTF8(value[:maxPoisonHeader], "") + "..."
	}
	return value
}
