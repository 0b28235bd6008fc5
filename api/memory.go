package api

import (
	"os"
	"runtime/debug"

	passwords "github.com/authtrail/authtrail/domain/password"
)

// memoryBase is what the server holds beside its password hashes: caches,
// the embedded NATS server's buffers, connections.
const memoryBase = 64 << 20

// LimitMemory sets the Go runtime's soft memory limit for a server hashing
// with h (nil: the default hasher), unless the operator set one with
// GOMEMLIMIT, and returns the limit in force. Each argon2id derivation
// allocates its whole memory (19 MiB) afresh; with the default pacing
// alone, the garbage of a burst of sign-ins doubles the heap before a
// collection, so the process would hold twice what the hashes need. The
// limit is the hashes' memory at full concurrency plus memoryBase: near
// it the collector runs sooner (the runtime caps its share of the CPU, so
// a server whose live data outgrows the limit slows down, never stops).
func LimitMemory(h *passwords.Hasher) int64 {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return debug.SetMemoryLimit(-1)
	}
	if h == nil {
		h = passwords.NewHasher(0, nil)
	}
	limit := int64(h.MaxConcurrent())*int64(h.Params().Memory)<<10 + memoryBase
	debug.SetMemoryLimit(limit)
	return limit
}
