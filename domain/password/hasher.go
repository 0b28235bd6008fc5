package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// Hasher makes and checks argon2 digests (docs/experience.md, decision 12).
// A semaphore bounds
// how many derivations run at once, because each one holds Params.Memory:
// memory stays near Memory × maxConcurrent however many requests arrive
// (about 19 MiB each with the default parameters).
type Hasher struct {
	params Params
	slots  chan struct{}

	randomMu sync.Mutex // injected readers need not be safe for concurrent use
	random   io.Reader

	decoy digest
	// derive is the argon2 call; tests wrap it to observe concurrency.
	derive func(d digest, pw []byte) []byte
}

// NewHasher returns a Hasher with DefaultParams. maxConcurrent <= 0 means
// 2 × GOMAXPROCS; a nil random means crypto/rand.
func NewHasher(maxConcurrent int, random io.Reader) *Hasher {
	return NewHasherWithParams(DefaultParams(), maxConcurrent, random)
}

// NewHasherWithParams is NewHasher with other parameters, e.g. cheap ones in
// tests. It panics when params are invalid, a programming or configuration
// mistake that Params.Validate reports beforehand.
func NewHasherWithParams(params Params, maxConcurrent int, random io.Reader) *Hasher {
	if err := params.Validate(); err != nil {
		panic("password: " + err.Error())
	}
	if maxConcurrent <= 0 {
		maxConcurrent = 2 * runtime.GOMAXPROCS(0)
	}
	if random == nil {
		random = rand.Reader
	}
	return &Hasher{
		params: params,
		slots:  make(chan struct{}, maxConcurrent),
		random: random,
		// The decoy's outcome is discarded, so only its cost has to match a
		// real digest; its salt and key need not be secret or random.
		decoy: digest{
			alg:    algArgon2id,
			params: params,
			salt:   make([]byte, params.SaltLength),
			key:    make([]byte, params.KeyLength),
		},
		derive: digest.derive,
	}
}

// Params returns the parameters new digests are made with.
func (h *Hasher) Params() Params { return h.params }

// MaxConcurrent is how many derivations run at once at most.
func (h *Hasher) MaxConcurrent() int { return cap(h.slots) }

// Hash returns a new argon2id digest of pw in PHC form,
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	d := digest{alg: algArgon2id, params: h.params, salt: make([]byte, h.params.SaltLength)}
	h.randomMu.Lock()
	_, err := io.ReadFull(h.random, d.salt)
	h.randomMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	if d.key, err = h.run(ctx, d, pw); err != nil {
		return "", err
	}
	return d.String(), nil
}

// Verify reports whether pw matches digest, an argon2id or argon2i PHC string
// whose own parameters are used. An unparsable or unsupported digest is an
// error (ErrMalformedDigest, ErrUnsupportedDigest); so is a cancelled ctx
// while waiting for a slot.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (bool, error) {
	d, err := parseDigest(encoded)
	if err != nil {
		return false, err
	}
	key, err := h.run(ctx, d, pw)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(key, d.key) == 1, nil
}

// VerifyDecoy costs what Verify costs, including the wait for a slot, and
// matches nothing. Call it when the user is unknown or has no password, so
// response time does not tell whether the account exists.
func (h *Hasher) VerifyDecoy(ctx context.Context, pw string) {
	_, _ = h.run(ctx, h.decoy, pw)
}

// NeedsRehash reports whether encoded should be replaced by a fresh Hash after
// a successful Verify: it is not argon2id, or it is weaker than the current
// parameters in memory, iterations, salt or key length. Unparsable digests
// need it too.
func (h *Hasher) NeedsRehash(encoded string) bool {
	d, err := parseDigest(encoded)
	if err != nil || d.alg != algArgon2id {
		return true
	}
	p, cur := d.params, h.params
	return p.Memory < cur.Memory || p.Iterations < cur.Iterations ||
		p.SaltLength < cur.SaltLength || p.KeyLength < cur.KeyLength
}

// run derives d's key for pw once a slot is free.
func (h *Hasher) run(ctx context.Context, d digest, pw string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.slots }()
	memory := int64(d.params.Memory) << 10
	now := deriving.Add(memory)
	for peak := derivingPeak.Load(); now > peak && !derivingPeak.CompareAndSwap(peak, now); peak = derivingPeak.Load() {
	}
	defer deriving.Add(-memory)
	return h.derive(d, []byte(pw)), nil
}

// deriving is the argon2id memory of the derivations running now in the
// whole process, and derivingPeak the most it reached since
// TakeDerivingPeak last read it.
var deriving, derivingPeak atomic.Int64

// TakeDerivingPeak returns the most memory the process's argon2id
// derivations held at once, across every Hasher, since its last call, and
// starts the next period from what they hold now. That memory is a
// passing burst in the live heap, not data (api.LimitMemory).
func TakeDerivingPeak() int64 { return derivingPeak.Swap(deriving.Load()) }
