package apitest

import (
	"context"
	"testing"
	"time"

	"github.com/authtrail/authtrail/projections/devices"
)

// Devices lists a user's MFA devices from the server's read model once it
// has caught up with every event written so far.
func (s *Server) Devices(t testing.TB, userID string) []devices.Device {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.api.ReadModels.WaitCurrent(ctx); err != nil {
		t.Fatalf("apitest: devices read model: %v", err)
	}
	list, err := s.api.ReadModels.Devices.List(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}
