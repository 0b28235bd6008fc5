package apitest

import (
	"context"
	"testing"
	"time"

	"github.com/authtrail/authtrail/eventstore/natstest"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/projections/devices"
)

// startDevices runs the device read model's projection for the test.
func (s *Server) startDevices(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p, err := devices.New(ctx, s.Store.JetStream(), 1)
	if err != nil {
		t.Fatal(err)
	}
	runner := projections.NewRunner(natstest.NewConn(t, s.nats), s.Store.Stream(), nil)
	done := make(chan struct{})
	go func() { _ = runner.Run(ctx, p); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	s.devices, s.runner = p, runner
}

// Devices lists a user's MFA devices from the read model once it has
// caught up with every event written so far.
func (s *Server) Devices(t testing.TB, userID string) []devices.Device {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := s.Store.JetStream().Stream(ctx, s.Store.Stream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.runner.WaitFor(ctx, s.devices, info.State.LastSeq); err != nil {
		t.Fatalf("apitest: devices projection: %v", err)
	}
	list, err := s.devices.List(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}
