package api

import (
	"context"
	"runtime"
	"testing"
	"time"
)

func TestMemoryLimitFollowsTheLiveHeap(t *testing.T) {
	const hashes = 76 << 20
	for _, tt := range []struct {
		live int64
		want int64
	}{
		{0, hashes + memoryBase},
		{40 << 20, hashes + memoryBase}, // 60 MiB of headroom fits the base
		{100 << 20, hashes + 150<<20},   // past the base: 1.5× the live heap
		{1 << 30, hashes + 1536<<20},
	} {
		if got := memoryLimit(hashes, tt.live); got != tt.want {
			t.Errorf("memoryLimit(live %d MiB) = %d MiB, want %d MiB", tt.live>>20, got>>20, tt.want>>20)
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
