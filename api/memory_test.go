package api

import (
	"context"
	"runtime"
	"testing"
	"time"
)

func TestMemoryLimitFollowsTheLiveHeap(t *testing.T) {
	const hashes, mib = 76 << 20, 1 << 20
	for _, tt := range []struct {
		name                 string
		live, deriving, want int64
	}{
		{"idle", 0, 0, hashes + hashes/2},
		{"sign-ins: room for two derivations", 102 * mib, 76 * mib, hashes + 26*mib + 38*mib},
		{"large caches, no hashing: half the data as room", 100 * mib, 0, hashes + 150*mib},
		{"large caches and sign-ins", 300 * mib, 76 * mib, hashes + 336*mib},
		{"derivations ended before the heap was measured", 40 * mib, 76 * mib, hashes + hashes/2},
		{"a peak that overstates the derivations: 1.25x the live heap", 160 * mib, 160 * mib, 200 * mib},
	} {
		if got := memoryLimit(hashes, tt.live, tt.deriving); got != tt.want {
			t.Errorf("%s: memoryLimit = %d MiB, want %d MiB", tt.name, got/mib, tt.want/mib)
		}
	}
}

func TestAfterEachGCRunsAfterCollectionsUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := make(chan struct{}, 100)
	afterEachGC(ctx, func() { calls <- struct{}{} })
	for range 3 {
		runtime.GC()
		select {
		case <-calls:
		case <-time.After(5 * time.Second):
			t.Fatal("no call after a collection")
		}
	}
	cancel()
	runtime.GC()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if n := len(calls); n > 1 {
		t.Fatalf("%d calls after cancelling", n)
	}
}
