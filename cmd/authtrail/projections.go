package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/projections/devices"
	"github.com/nats-io/nats.go"
)

// startProjections runs the read models on their own connection and waits,
// bounded, until they have caught up with the log, so the health check only
// turns green on read models that are current. stop ends them.
func startProjections(ctx context.Context, nc *nats.Conn, store *eventstore.Store, log *slog.Logger) (stop func(), err error) {
	p, err := devices.New(ctx, store.JetStream(), store.Replicas())
	if err != nil {
		return nil, err
	}
	runner := projections.NewRunner(nc, store.Stream(), log)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		if err := runner.Run(runCtx, p); err != nil {
			log.Error("projection halted", "projection", devices.Name, "err", err)
		}
		close(done)
	}()
	stop = func() { cancel(); <-done }
	stream, err := store.JetStream().Stream(ctx, store.Stream())
	if err != nil {
		stop()
		return nil, err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		stop()
		return nil, err
	}
	waitCtx, cancelWait := context.WithTimeout(ctx, 60*time.Second)
	defer cancelWait()
	if err := runner.WaitFor(waitCtx, p, info.State.LastSeq); err != nil {
		log.Warn("projection still catching up", "projection", devices.Name, "err", err)
	}
	return stop, nil
}
