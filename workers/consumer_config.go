package workers

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore"
)

// Defaults for ConsumerConfig.
const (
	DefaultMaxDeliver = 10
	// DefaultAckWait is short because it is how long a message that was in
	// flight when a process died waits before another delivery; the
	// subscriber extends it every half AckWait while a handler runs.
	DefaultAckWait = 5 * time.Second
)

// DefaultBackOff is the wait before each redelivery of a Nacked message.
var DefaultBackOff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute}

// ConsumerConfig describes the durable consumer a handler reads from.
type ConsumerConfig struct {
	// Stream is the event stream. Default "EVENTS".
	Stream string
	// Durable names the consumer; letters, digits, '_' and '-' only.
	// The Router defaults it to "wrk_<handler name>".
	Durable string
	// FilterSubjects selects events, e.g. "events.interaction.>"; empty
	// means the whole stream.
	FilterSubjects []string
	// MaxDeliver bounds deliveries of one message; -1 is unbounded.
	// Default 10.
	MaxDeliver int
	// BackOff is the wait before redelivering a Nacked message, by delivery
	// count; the last step repeats. Default 1s, 5s, 30s, 2m, 10m.
	//
	// It is applied by the client through NakWithDelay and deliberately not
	// given to the server: a server-side BackOff replaces AckWait with its
	// first step (1s), which would redeliver any handler running longer.
	BackOff []time.Duration
	// AckWait is how long the server waits for an acknowledgement before
	// redelivering, e.g. after a crash. The subscriber extends it while a
	// handler runs. Default DefaultAckWait (5s).
	AckWait time.Duration
	// ResumeAfter, when set, tells where the handler's own output says it
	// stands: the stream sequence of the last message it has done (known
	// false when its output tells nothing, e.g. is empty). When the consumer
	// has acknowledged past it (an output whose tail a crash lost, such as
	// a stream written with asynchronous persistence), the subscriber
	// recreates the consumer right after it, so those messages come again.
	// The handler must pass over messages it has already done.
	ResumeAfter func(ctx context.Context) (seq uint64, known bool, err error)
	// Types, when set, are the only event types (Ev-Type) the handler
	// sees: others are acknowledged as they arrive, without a round trip
	// through the router (JetStream filters by subject only, and a worker
	// waiting for one type among an aggregate's events would otherwise
	// handle them all).
	Types []string
	// Concurrency is how many messages may be in the handler at once. The
	// default, 1, handles events strictly in stream order; more suits a
	// handler whose messages are independent (each code delivery is its
	// own send), and gives up that order.
	Concurrency int
}

// namePattern keeps names usable as a consumer name and a subject token.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (c ConsumerConfig) withDefaults() ConsumerConfig {
	if c.Stream == "" {
		c.Stream = eventstore.DefaultStream
	}
	if c.Concurrency < 1 {
		c.Concurrency = 1
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if len(c.BackOff) == 0 {
		c.BackOff = DefaultBackOff
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	return c
}

func (c ConsumerConfig) validate() error {
	if !namePattern.MatchString(c.Durable) {
		return fmt.Errorf("workers: durable name %q: use letters, digits, '_' and '-'", c.Durable)
	}
	if c.MaxDeliver < -1 {
		return fmt.Errorf("workers: consumer %s: MaxDeliver %d: use -1 for unbounded", c.Durable, c.MaxDeliver)
	}
	if c.AckWait < 0 {
		return fmt.Errorf("workers: consumer %s: negative AckWait", c.Durable)
	}
	for _, d := range c.BackOff {
		if d < 0 {
			return fmt.Errorf("workers: consumer %s: negative BackOff step", c.Durable)
		}
	}
	return nil
}

// jetStreamConfig is the server-side consumer. MaxAckPending 1 (the
// default Concurrency) makes the server hand out the next message only once
// the current one is settled, so events are handled strictly in stream
// order, even across a Nak, and nothing waits in a client buffer while its
// AckWait runs out; with more, as many are handed out as may be in the
// handler.
func (c ConsumerConfig) jetStreamConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        c.Durable,
		FilterSubjects: c.FilterSubjects,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        c.AckWait,
		MaxDeliver:     c.MaxDeliver,
		MaxAckPending:  c.Concurrency,
	}
}

// backOffFor is the wait before the redelivery that follows delivery n.
func (c ConsumerConfig) backOffFor(numDelivered uint64) time.Duration {
	if len(c.BackOff) == 0 {
		return 0
	}
	i := int(min(numDelivered, uint64(len(c.BackOff)))) - 1
	return c.BackOff[max(i, 0)]
}
