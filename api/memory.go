package api

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"

	passwords "github.com/authtrail/authtrail/domain/password"
)

// memoryBase is the least the server is allowed beside its password
// hashes: caches, the embedded NATS server's buffers, connections.
const memoryBase = 64 << 20

// liveHeadroom is the share of the live heap allowed on top of it as
// garbage before a collection, once the live heap outgrows memoryBase: a
// fixed limit close to the live heap would collect without pause.
const liveHeadroom = 1.5

// LimitMemory sets the Go runtime's soft memory limit for a server hashing
// with h (nil: the default hasher) until ctx ends, unless the operator set
// one with GOMEMLIMIT, and returns the first limit in force. Each argon2id
// derivation allocates its whole memory (19 MiB) afresh; with the default
// pacing alone, the garbage of a burst of sign-ins doubles the heap before
// a collection, so the process would hold twice what the hashes need. The
// limit is the hashes' memory at full concurrency plus the larger of
// memoryBase and 1.5 times the rest of the live heap, which it follows
// after every collection: a server whose caches grow keeps room to
// collect rather than collecting without pause.
func LimitMemory(ctx context.Context, h *passwords.Hasher) int64 {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return debug.SetMemoryLimit(-1)
	}
	if h == nil {
		h = passwords.NewHasher(0, nil)
	}
	hashes := int64(h.MaxConcurrent()) * int64(h.Params().Memory) << 10
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	set := func() int64 {
		metrics.Read(sample)
		// The live heap a collection just measured holds the derivations
		// running then; they are the hashes' share, not data.
		data := max(int64(sample[0].Value.Uint64())-passwords.DerivingMemory(), 0)
		limit := memoryLimit(hashes, data)
		debug.SetMemoryLimit(limit)
		return limit
	}
	first := set()
	afterEachGC(ctx, func() { set() })
	return first
}

// memoryLimit is the limit for hashes' memory beside data bytes of live
// heap.
func memoryLimit(hashes, data int64) int64 {
	return hashes + max(memoryBase, int64(float64(data)*liveHeadroom))
}

// afterEachGC calls fn soon after every garbage collection until ctx ends,
// on the runtime's cleanup goroutine: a sentinel made unreachable at each
// arming is found by the next collection.
func afterEachGC(ctx context.Context, fn func()) {
	var arm func()
	arm = func() {
		runtime.AddCleanup(new(gcSentinel), func(struct{}) {
			if ctx.Err() != nil {
				return
			}
			fn()
			arm()
		}, struct{}{})
	}
	arm()
}

// gcSentinel holds a pointer so that it is never one of the tiny
// allocations the runtime packs together and frees late.
type gcSentinel struct{ _ *byte }
