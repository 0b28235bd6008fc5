package api

import (
	"context"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/projections/devices"
	"github.com/authtrail/authtrail/projections/interactions"
	"github.com/authtrail/authtrail/projections/webhooks"
)

// ReadModels are the projections the APIs read, in the SQLite file of this
// process: the devices read model serves the MFA API's device list, the
// interactions read model the admin API's lists.
type ReadModels struct {
	Host         *projections.Host
	Devices      devices.Model
	Interactions interactions.Model
	Webhooks     webhooks.Model
	db           *projections.DB
}

// StartReadModels opens the database at path and runs the projections,
// on the store's connection, until Stop.
// events decodes the interaction's events; clock tells expired interactions.
func StartReadModels(ctx context.Context, store *eventstore.Store, path string, events domain.Registry, clock domain.Clock, log *slog.Logger) (*ReadModels, error) {
	if clock == nil {
		clock = domain.SystemClock{}
	}
	db, err := projections.OpenDB(ctx, path)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(store.JetStream().Conn())
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	load := func(ctx context.Context, subject string) ([]eventstore.Envelope, error) {
		envs, _, err := store.Load(ctx, subject)
		return envs, err
	}
	host, err := projections.Start(ctx, db, js, store.Stream(), log, devices.New(), interactions.New(events, load), webhooks.Projection{})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &ReadModels{Host: host, Devices: devices.Model{Host: host}, db: db, Webhooks: webhooks.Model{Host: host},
		Interactions: interactions.Model{Host: host, Now: clock.Now}}, nil
}

// CaughtUp waits, bounded by ctx, until the devices read model processed
// every event up to seq (read-your-writes for the MFA API).
func (rm *ReadModels) CaughtUp(ctx context.Context, seq uint64) error {
	return rm.Devices.WaitFor(ctx, seq)
}

// WaitCurrent waits until every read model caught up with the whole log.
func (rm *ReadModels) WaitCurrent(ctx context.Context) error { return rm.Host.WaitCurrent(ctx) }

// Stop ends the projections and closes the database.
func (rm *ReadModels) Stop() {
	rm.Host.Stop()
	_ = rm.db.Close()
}
