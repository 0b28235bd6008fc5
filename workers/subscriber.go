package workers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/logging"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	// DefaultCloseTimeout bounds how long Close waits for a handler in flight.
	DefaultCloseTimeout = 30 * time.Second
	// ackTimeout bounds one acknowledgement round trip.
	ackTimeout = 5 * time.Second
	// restartDelay spaces attempts to resume consuming after the consumer
	// or the iterator failed (consumer deleted, leader change).
	restartDelay = time.Second
)

// SubscriberOptions tunes a Subscriber.
type SubscriberOptions struct {
	Logger watermill.LoggerAdapter
	// CloseTimeout bounds how long Close waits for the handler in flight;
	// a message still unsettled then is left to the server, which
	// redelivers it after AckWait. Default 30s.
	CloseTimeout time.Duration
}

// Subscriber is a watermill Subscriber over one JetStream durable pull
// consumer. It hands out one message at a time and settles it in
// JetStream when the handler Acks (DoubleAck) or Nacks (NakWithDelay with
// the BackOff step for its delivery count).
//
// It uses the connection it is given and never closes or drains it: the
// caller owns nc.
type Subscriber struct {
	js           jetstream.JetStream
	nc           *nats.Conn
	cfg          ConsumerConfig
	log          watermill.LoggerAdapter
	closeTimeout time.Duration

	mu         sync.Mutex
	subscribed bool
	closing    chan struct{}
	closeOnce  sync.Once
	running    sync.WaitGroup
}

var _ message.Subscriber = (*Subscriber)(nil)

// NewSubscriber returns a subscriber for the consumer cfg describes. The
// consumer is created or updated when Subscribe is called.
func NewSubscriber(nc *nats.Conn, cfg ConsumerConfig, opts SubscriberOptions) (*Subscriber, error) {
	if nc == nil {
		return nil, errors.New("workers: nil NATS connection")
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("workers: jetstream: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = watermill.NopLogger{}
	}
	if opts.CloseTimeout <= 0 {
		opts.CloseTimeout = DefaultCloseTimeout
	}
	return &Subscriber{
		js: js, nc: nc, cfg: cfg,
		log:          opts.Logger.With(watermill.LogFields{"consumer": cfg.Durable}),
		closeTimeout: opts.CloseTimeout,
		closing:      make(chan struct{}),
	}, nil
}

// Subscribe creates or updates the durable consumer and streams its
// messages. The topic only labels the subscription (watermill reports it in
// the poison metadata); what is consumed is set by the ConsumerConfig. A
// Subscriber serves one subscription at a time, which keeps the order.
//
// The channel closes when ctx ends or Close is called, once the message in
// flight is settled. Messages carry a context that keeps ctx's values but
// not its cancellation, so stopping does not fail a handler half-way.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closing:
		return nil, errors.New("workers: subscriber is closed")
	default:
	}
	if s.subscribed {
		return nil, fmt.Errorf("workers: consumer %s already has a subscription", s.cfg.Durable)
	}
	iter, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	s.subscribed = true

	runCtx, stop := context.WithCancel(ctx)
	go func() {
		select {
		case <-s.closing:
		case <-runCtx.Done():
		}
		stop()
	}()

	out := make(chan *message.Message)
	s.running.Add(1)
	go func() {
		defer s.running.Done()
		defer close(out)
		defer stop()
		s.consume(runCtx, topic, iter, out)
	}()
	return out, nil
}

// pullExpiry bounds each pull request.
const pullExpiry = 5 * time.Second

// open creates or updates the consumer and starts pulling from it.
func (s *Subscriber) open(ctx context.Context) (jetstream.MessagesContext, error) {
	cfg := s.cfg.jetStreamConfig()
	if s.cfg.ResumeAfter != nil {
		if err := s.rewind(ctx, &cfg); err != nil {
			return nil, err
		}
	}
	cons, err := s.js.CreateOrUpdateConsumer(ctx, s.cfg.Stream, cfg)
	if err != nil {
		return nil, fmt.Errorf("workers: create or update consumer %s on %s: %w", s.cfg.Durable, s.cfg.Stream, err)
	}
	// The server sends no more than may be in the handler (MaxAckPending
	// is Concurrency). A short pull expiry (with its heartbeat at half of
	// it) notices a pull that went quiet within seconds and reopens it,
	// rather than after the 30 s default.
	iter, err := cons.Messages(jetstream.PullMaxMessages(s.cfg.Concurrency), jetstream.PullExpiry(pullExpiry))
	if err != nil {
		return nil, fmt.Errorf("workers: consume %s: %w", s.cfg.Durable, err)
	}
	return iter, nil
}

// rewind deletes the consumer when it has acknowledged past where the
// handler's output stands (ConsumerConfig.ResumeAfter), and sets cfg to
// recreate it right after that point.
func (s *Subscriber) rewind(ctx context.Context, cfg *jetstream.ConsumerConfig) error {
	resume, known, err := s.cfg.ResumeAfter(ctx)
	if err != nil || !known {
		return err
	}
	cons, err := s.js.Consumer(ctx, s.cfg.Stream, s.cfg.Durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("workers: consumer %s: %w", s.cfg.Durable, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("workers: consumer %s: %w", s.cfg.Durable, err)
	}
	if info.AckFloor.Stream <= resume {
		// Keep where an earlier rewind started it: JetStream cannot
		// change a consumer's deliver policy.
		cfg.DeliverPolicy, cfg.OptStartSeq = info.Config.DeliverPolicy, info.Config.OptStartSeq
		return nil
	}
	if err := s.js.DeleteConsumer(ctx, s.cfg.Stream, s.cfg.Durable); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("workers: rewind consumer %s: %w", s.cfg.Durable, err)
	}
	cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, resume+1
	s.log.Info("Consumer rewound to its handler's output", watermill.LogFields{
		"consumer": s.cfg.Durable, "acknowledged": info.AckFloor.Stream, "resume_after": resume})
	return nil
}

// consume hands messages to out until ctx ends, Concurrency at a time
// (one: each settled before the next is read). When the iterator fails
// (consumer deleted, connection trouble) it reopens it after a pause; a
// closed connection ends the subscription. It returns once every message
// it handed out is settled.
func (s *Subscriber) consume(ctx context.Context, topic string, iter jetstream.MessagesContext, out chan<- *message.Message) {
	slots := make(chan struct{}, s.cfg.Concurrency)
	var inFlight sync.WaitGroup
	defer func() {
		if iter != nil {
			iter.Stop()
		}
		inFlight.Wait()
	}()
	for {
		m, err := iter.Next(jetstream.NextContext(ctx))
		if err == nil && s.passOver(m) {
			continue
		}
		if err == nil && s.cfg.Concurrency == 1 {
			s.deliver(ctx, topic, m, out)
			continue
		}
		if err == nil {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				_ = m.Nak() // stopping: hand it back at once
				return
			}
			inFlight.Add(1)
			go func() {
				defer func() { <-slots; inFlight.Done() }()
				s.deliver(ctx, topic, m, out)
			}()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if s.nc.IsClosed() {
			s.log.Error("NATS connection closed; subscription ends", err, nil)
			return
		}
		s.log.Error("Consuming failed; reopening the consumer", err, nil)
		iter.Stop()
		if iter = s.reopen(ctx); iter == nil {
			return
		}
	}
}

// passOver acknowledges a message of a type the handler does not take
// (ConsumerConfig.Types). A lost acknowledgement only brings it back, to be
// passed over again.
func (s *Subscriber) passOver(m jetstream.Msg) bool {
	if len(s.cfg.Types) == 0 || slices.Contains(s.cfg.Types, m.Headers().Get(eventstore.HeaderType)) {
		return false
	}
	if err := m.Ack(); err != nil {
		s.log.Error("Ack of a passed-over message failed", err, watermill.LogFields{"subject": m.Subject()})
	}
	return true
}

// reopen retries open until it succeeds or ctx ends (then it returns nil).
func (s *Subscriber) reopen(ctx context.Context) jetstream.MessagesContext {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(restartDelay):
		}
		iter, err := s.open(ctx)
		if err == nil {
			return iter
		}
		s.log.Error("Reopening the consumer failed", err, nil)
	}
}

// deliver passes one message to the handler and settles it in JetStream.
func (s *Subscriber) deliver(ctx context.Context, topic string, m jetstream.Msg, out chan<- *message.Message) {
	md, err := m.Metadata()
	if err != nil {
		// Only a message that did not come from a consumer lacks metadata.
		s.log.Error("Message without JetStream metadata; terminated", err, watermill.LogFields{"subject": m.Subject()})
		_ = m.TermWithReason("no jetstream metadata")
		return
	}
	msg := toWatermill(m, md)
	// The event's correlation id rides in the context, so the handler's log
	// lines carry it (logging.WithCorrelationID).
	msg.SetContext(logging.WithCorrelationID(context.WithoutCancel(ctx), msg.Metadata.Get(eventstore.HeaderCorrelationID)))
	fields := watermill.LogFields{"message_uuid": msg.UUID, "seq": md.Sequence.Stream, "topic": topic}

	select {
	case out <- msg:
	case <-ctx.Done():
		// Stopping before the handler saw it: hand it back at once rather
		// than after AckWait.
		if err := m.Nak(); err != nil {
			s.log.Error("Nak on close failed", err, fields)
		}
		return
	}
	s.settle(ctx, m, md, msg, fields)
}

// settle waits for the handler's verdict, keeping the message from
// redelivery meanwhile, and passes it on to JetStream.
func (s *Subscriber) settle(ctx context.Context, m jetstream.Msg, md *jetstream.MsgMetadata, msg *message.Message, fields watermill.LogFields) {
	progress := time.NewTicker(s.cfg.AckWait / 2)
	defer progress.Stop()
	stopping := ctx.Done()
	var giveUp <-chan time.Time
	for {
		select {
		case <-msg.Acked():
			s.ack(m, fields)
			return
		case <-msg.Nacked():
			s.nak(m, md, fields)
			return
		case <-progress.C:
			if err := m.InProgress(); err != nil {
				s.log.Error("Extending the ack deadline failed", err, fields)
			}
		case <-stopping:
			stopping = nil
			giveUp = time.After(s.closeTimeout)
		case <-giveUp:
			s.log.Info("Handler still running at close; the server will redeliver the message", fields)
			return
		}
	}
}

// ack waits for the server to confirm, so a handler's effects are never
// repeated because an acknowledgement was silently lost.
func (s *Subscriber) ack(m jetstream.Msg, fields watermill.LogFields) {
	ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
	defer cancel()
	if err := m.DoubleAck(ctx); err != nil {
		s.log.Error("Ack failed; the message will be redelivered", err, fields)
	}
}

func (s *Subscriber) nak(m jetstream.Msg, md *jetstream.MsgMetadata, fields watermill.LogFields) {
	if s.cfg.MaxDeliver > 0 && md.NumDelivered >= uint64(s.cfg.MaxDeliver) {
		s.log.Error("Message failed on its last delivery; the server will not redeliver it",
			errors.New("max deliveries reached"), fields.Add(watermill.LogFields{"deliveries": md.NumDelivered}))
	}
	if err := m.NakWithDelay(s.cfg.backOffFor(md.NumDelivered)); err != nil {
		s.log.Error("Nak failed; the message will be redelivered after AckWait", err, fields)
	}
}

// Close stops consuming and waits, at most CloseTimeout, for the message in
// flight to be settled. It does not close the NATS connection.
func (s *Subscriber) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	s.running.Wait()
	return nil
}
