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
	if err := run(100*time.Millisecond, 8, ""); err != nil {
		t.Fatal(err)
	}
}
