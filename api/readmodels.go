package api

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/projections/devices"
)

// ReadModels are the projections the APIs read: the device read model
// serves the MFA API's device list.
type ReadModels struct {
	Devices *devices.Projection
	runner  *projections.Runner
	store   *eventstore.Store
	stop    context.CancelFunc
	done    chan struct{}
}

// StartReadModels runs the projections on the store's connection until Stop.
func StartReadModels(ctx context.Context, store *eventstore.Store, log *slog.Logger) (*ReadModels, error) {
	p, err := devices.New(ctx, store.JetStream(), store.Replicas())
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	rm := &ReadModels{Devices: p, runner: projections.NewRunner(store.JetStream().Conn(), store.Stream(), log),
		store: store, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(rm.done)
		if err := rm.runner.Run(runCtx, p); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("projection halted", "projection", devices.Name, "err", err)
		}
	}()
	return rm, nil
}

// CaughtUp waits, bounded by ctx, until the read models applied every event
// up to seq (read-your-writes for the APIs).
func (rm *ReadModels) CaughtUp(ctx context.Context, seq uint64) error {
	return rm.runner.WaitFor(ctx, rm.Devices, seq)
}

// WaitCurrent waits until the read models caught up with the whole log.
func (rm *ReadModels) WaitCurrent(ctx context.Context) error {
	stream, err := rm.store.JetStream().Stream(ctx, rm.store.Stream())
	if err != nil {
		return err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return err
	}
	return rm.CaughtUp(ctx, info.State.LastSeq)
}

// Stop ends the projections.
func (rm *ReadModels) Stop() {
	rm.stop()
	select {
	case <-rm.done:
	case <-time.After(10 * time.Second):
	}
}
