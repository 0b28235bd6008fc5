package main

import (
	"testing"
	"time"
)

// Every measurement runs to the end against the current server: a change
// of the server's options or routes that breaks the bench fails here, not
// at the next performance review.
func TestEveryMeasurementRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole bench briefly")
	}
	// Tiny logs: the rebuild and the admin lists run end to end in seconds.
	if err := run(100*time.Millisecond, 8, "", sizes{rebuildEvents: 2000, adminInteractions: 500, startupUsers: 1000, historyEvents: 200}); err != nil {
		t.Fatal(err)
	}
}
