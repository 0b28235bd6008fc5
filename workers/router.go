package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go"

	"github.com/authtrail/authtrail/metrics"
)

// Defaults for RouterOptions.
const (
	DefaultHandlerTimeout  = 15 * time.Second
	DefaultMaxRetries      = 3
	DefaultInitialInterval = 200 * time.Millisecond
	DefaultMaxInterval     = 5 * time.Second
	DefaultMultiplier      = 2
	DefaultMaxElapsedTime  = 20 * time.Second
)

const (
	poisonSetupTimeout = 10 * time.Second
	// DurablePrefix names a handler's consumer when its config names none.
	DurablePrefix = "wrk_"
)

// RouterOptions tunes the Router. Zero fields take the defaults.
type RouterOptions struct {
	// Retry is the in-process retry of a failing handler. Zero fields
	// default to MaxRetries 3 (negative: none), InitialInterval 200ms,
	// MaxInterval 5s, Multiplier 2, MaxElapsedTime 20s. Errors marked
	// Permanent are never retried, whatever ShouldRetry says.
	Retry middleware.Retry
	// HandlerTimeout cancels the context of one handler attempt.
	// Default 15s.
	HandlerTimeout time.Duration
	// CloseTimeout bounds how long Close waits for handlers in flight.
	// Default 30s.
	CloseTimeout time.Duration
	// PoisonReplicas is the replica count of the POISON stream. Default 1.
	PoisonReplicas int
	// Metrics counts each message's outcome by handler; nil counts nothing.
	Metrics *metrics.Metrics
}

func (o RouterOptions) withDefaults(log watermill.LoggerAdapter) RouterOptions {
	if o.HandlerTimeout <= 0 {
		o.HandlerTimeout = DefaultHandlerTimeout
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = DefaultCloseTimeout
	}
	o.Retry = retryWithDefaults(o.Retry, log)
	return o
}

func retryWithDefaults(r middleware.Retry, log watermill.LoggerAdapter) middleware.Retry {
	switch {
	case r.MaxRetries == 0:
		r.MaxRetries = DefaultMaxRetries
	case r.MaxRetries < 0:
		r.MaxRetries = 0
	}
	if r.InitialInterval <= 0 {
		r.InitialInterval = DefaultInitialInterval
	}
	// The backoff library drops the interval to MaxInterval, so a zero one
	// would retry without pause after the first wait.
	if r.MaxInterval <= 0 {
		r.MaxInterval = max(DefaultMaxInterval, r.InitialInterval)
	}
	if r.Multiplier <= 0 {
		r.Multiplier = DefaultMultiplier
	}
	if r.MaxElapsedTime <= 0 {
		r.MaxElapsedTime = DefaultMaxElapsedTime
	}
	if r.Logger == nil {
		r.Logger = log
	}
	// Timeout runs inside Retry and leaves the message's context cancelled
	// after each attempt; without a reset every retry would start expired.
	r.ResetContextOnRetry = true
	shouldRetry := r.ShouldRetry
	r.ShouldRetry = func(p middleware.RetryParams) bool {
		if IsPermanent(p.Err) {
			return false
		}
		return shouldRetry == nil || shouldRetry(p)
	}
	return r
}

// Router runs handlers, each on its own durable consumer, under the
// middlewares CorrelationID, PoisonQueue, the outcome count, Retry, Timeout
// and Recoverer (outermost first).
type Router struct {
	nc     *nats.Conn
	log    watermill.LoggerAdapter
	opts   RouterOptions
	wm     *message.Router
	poison *PoisonPublisher

	mu       sync.Mutex
	state    routerState
	stopped  bool // Close was called or Run's context ended
	names    map[string]bool
	durables map[string]bool
}

type routerState int

const (
	routerNew routerState = iota
	routerRunning
	routerClosed
)

// NewRouter creates the POISON stream if needed and returns a router whose
// handlers consume through nc. The caller owns nc (see the package doc).
func NewRouter(nc *nats.Conn, log *slog.Logger, opts RouterOptions) (*Router, error) {
	if nc == nil {
		return nil, errors.New("workers: nil NATS connection")
	}
	if log == nil {
		log = slog.Default()
	}
	wlog := watermill.NewSlogLogger(log.With("component", "workers"))
	opts = opts.withDefaults(wlog)

	ctx, cancel := context.WithTimeout(context.Background(), poisonSetupTimeout)
	defer cancel()
	poison, err := NewPoisonPublisher(ctx, nc, opts.PoisonReplicas)
	if err != nil {
		return nil, err
	}
	poison.log = wlog
	wm, err := message.NewRouter(message.RouterConfig{CloseTimeout: opts.CloseTimeout}, wlog)
	if err != nil {
		return nil, fmt.Errorf("workers: router: %w", err)
	}
	return &Router{
		nc: nc, log: wlog, opts: opts, wm: wm, poison: poison,
		names: map[string]bool{}, durables: map[string]bool{},
	}, nil
}

// AddHandler registers h for the events cfg selects; cfg.Durable defaults
// to "wrk_<name>". A returned error, after retries, sends the event to
// poison.<name> and the handler moves on. Add handlers before Run.
func (r *Router) AddHandler(name string, cfg ConsumerConfig, h func(*message.Message) error) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("workers: handler name %q: use letters, digits, '_' and '-'", name)
	}
	if h == nil {
		return fmt.Errorf("workers: handler %s is nil", name)
	}
	if cfg.Durable == "" {
		cfg.Durable = DurablePrefix + name
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != routerNew {
		return fmt.Errorf("workers: handler %s added after Run or Close", name)
	}
	if r.names[name] {
		return fmt.Errorf("workers: handler %s added twice", name)
	}
	// Two subscriptions on one durable would share out its events.
	if r.durables[cfg.Durable] {
		return fmt.Errorf("workers: consumer %s used by two handlers", cfg.Durable)
	}
	sub, err := NewSubscriber(r.nc, cfg, SubscriberOptions{Logger: r.log, CloseTimeout: r.opts.CloseTimeout})
	if err != nil {
		return err
	}
	poisonQueue, err := middleware.PoisonQueue(r.poison, PoisonSubject(name))
	if err != nil {
		return fmt.Errorf("workers: poison queue for %s: %w", name, err)
	}
	handler := r.wm.AddConsumerHandler(name, sub.cfg.Durable, sub, h)
	handler.AddMiddleware(
		middleware.CorrelationID,
		poisonQueue,
		countOutcome(name, r.opts.Metrics),
		r.opts.Retry.Middleware,
		middleware.Timeout(r.opts.HandlerTimeout),
		middleware.Recoverer,
	)
	r.names[name] = true
	r.durables[cfg.Durable] = true
	return nil
}

// Run consumes until ctx ends or Close is called, then waits for the
// handlers in flight. It returns an error if a consumer cannot be set up,
// or if every handler stopped by itself (e.g. the connection was closed).
// A Router runs once.
func (r *Router) Run(ctx context.Context) error {
	r.mu.Lock()
	switch r.state {
	case routerRunning:
		r.mu.Unlock()
		return errors.New("workers: router is already running")
	case routerClosed:
		r.mu.Unlock()
		return nil
	}
	r.state = routerRunning
	r.mu.Unlock()

	runDone := make(chan struct{})
	defer close(runDone)
	go func() {
		select {
		case <-ctx.Done():
			if err := r.Close(); err != nil {
				r.log.Error("Closing the router failed", err, nil)
			}
		case <-runDone:
		}
	}()

	if err := r.wm.Run(ctx); err != nil {
		return fmt.Errorf("workers: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stopped && ctx.Err() == nil {
		return errors.New("workers: every handler stopped; is the NATS connection closed?")
	}
	return nil
}

// Running is closed once Run has subscribed every handler.
func (r *Router) Running() chan struct{} { return r.wm.Running() }

// Close stops consuming and waits, at most CloseTimeout, for the handlers
// in flight. It does not close the NATS connection.
func (r *Router) Close() error {
	r.mu.Lock()
	r.stopped = true
	if r.state == routerNew {
		// The watermill router would wait for handlers that never started.
		r.state = routerClosed
		r.mu.Unlock()
		return nil
	}
	r.mu.Unlock()
	if err := r.wm.Close(); err != nil {
		return fmt.Errorf("workers: %w", err)
	}
	return nil
}
