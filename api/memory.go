package api

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"

	passwords "github.com/authtrail/authtrail/domain/password"
)

// LimitMemory sets the Go runtime's soft memory limit for a server hashing
// with h (nil: the default hasher) until ctx ends, unless the operator set
// one with GOMEMLIMIT, and returns the first limit in force. Each argon2id
// derivation allocates its whole memory (19 MiB) afresh; with the default
// pacing alone, the garbage of a burst of sign-ins doubles the heap before
// a collection, so the process would hold twice what the hashes need. The
// limit is the hashes' memory at full concurrency plus room for the rest
// of the live heap (memoryLimit), and follows that heap after every
// collection: a server whose caches grow keeps room to collect rather
// than collecting without pause.
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
		limit := memoryLimit(hashes, int64(sample[0].Value.Uint64()), passwords.TakeDerivingPeak())
		debug.SetMemoryLimit(limit)
		return limit
	}
	first := set()
	afterEachGC(ctx, func() { set() })
	return first
}

// memoryLimit is the limit for hashes' memory beside a live heap of live
// bytes, of which at most deriving were the derivations running when it was
// measured. The rest is data. The limit holds the hashes, the data and
// room for garbage: half the hashes' memory or half the data, whichever
// is more, and at least 1.25 times the live heap. Room that shrank as the
// data grew would have the collector run once per sign-in.
func memoryLimit(hashes, live, deriving int64) int64 {
	data := max(live-deriving, 0)
	return max(hashes+data+max(hashes/2, data/2), live+live/4)
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
