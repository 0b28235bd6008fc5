package password_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain/password"
)

// cheapParams keep tests fast; other packages' tests use the same trick.
var cheapParams = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func TestHashFormat(t *testing.T) {
	tests := []struct {
		name   string
		hasher *password.Hasher
		want   string
	}{
		{"owasp", password.NewHasher(0, nil),
			`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`},
		{"cheap", password.NewHasherWithParams(cheapParams, 1, nil),
			`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`},
		{"injected salt", password.NewHasherWithParams(cheapParams, 1, bytes.NewReader(bytes.Repeat([]byte{0xff}, 16))),
			`^\$argon2id\$v=19\$m=64,t=1,p=1\$/////////////////////w\$[A-Za-z0-9+/]{43}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			digest, err := tt.hasher.Hash(context.Background(), "correct horse")
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(tt.want).MatchString(digest) {
				t.Errorf("Hash = %q, want match for %s", digest, tt.want)
			}
			for pw, want := range map[string]bool{"correct horse": true, "correct horsE": false, "": false} {
				if ok, err := tt.hasher.Verify(context.Background(), pw, digest); ok != want || err != nil {
					t.Errorf("Verify(%q) = %v, %v; want %v, nil", pw, ok, err, want)
				}
			}
			if tt.hasher.NeedsRehash(digest) {
				t.Error("a fresh digest needs rehash")
			}
		})
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	h := password.NewHasherWithParams(cheapParams, 1, nil)
	a, _ := h.Hash(context.Background(), "same")
	b, _ := h.Hash(context.Background(), "same")
	if a == b {
		t.Error("two digests of one password are equal: salt is not random")
	}
}

func TestHashRandomFailure(t *testing.T) {
	h := password.NewHasherWithParams(cheapParams, 1, bytes.NewReader(make([]byte, 5)))
	if _, err := h.Hash(context.Background(), "pw"); err == nil {
		t.Fatal("want an error when the random source runs dry")
	}
}

// Raising the parameters keeps old digests verifiable, since each digest
// carries its own.
func TestVerifyOlderParams(t *testing.T) {
	old := password.NewHasherWithParams(cheapParams, 1, nil)
	digest, _ := old.Hash(context.Background(), "pw")
	raised := cheapParams
	raised.Memory, raised.Iterations = 128, 2
	h := password.NewHasherWithParams(raised, 1, nil)
	if ok, err := h.Verify(context.Background(), "pw", digest); !ok || err != nil {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
	if !h.NeedsRehash(digest) {
		t.Error("a digest with lower parameters does not need rehash")
	}
}

func TestVerifyDecoy(t *testing.T) {
	h := password.NewHasherWithParams(cheapParams, 1, nil)
	var derivations atomic.Int32
	password.SetDeriveHook(h, func() { derivations.Add(1) })
	h.VerifyDecoy(context.Background(), "anything")
	if derivations.Load() != 1 {
		t.Fatalf("decoy ran %d derivations, want 1", derivations.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.VerifyDecoy(ctx, "anything")
	if derivations.Load() != 1 {
		t.Error("decoy derived with a cancelled context")
	}
}

// The semaphore lets at most maxConcurrent derivations run at once, and
// queued callers all finish once slots free up.
func TestConcurrencyBound(t *testing.T) {
	const limit, callers = 3, 12
	h := password.NewHasherWithParams(cheapParams, limit, nil)
	var inside, peak atomic.Int32
	release := make(chan struct{})
	entered := make(chan struct{}, callers)
	password.SetDeriveHook(h, func() {
		n := inside.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		entered <- struct{}{}
		<-release
		inside.Add(-1)
	})

	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				_, err = h.Hash(context.Background(), "pw")
			case 1:
				_, err = h.Verify(context.Background(), "password", referenceDigests[1].digest)
			default:
				h.VerifyDecoy(context.Background(), "pw")
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	for range limit {
		<-entered
	}
	select {
	case <-entered:
		t.Fatalf("a derivation started beyond the limit of %d", limit)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	wg.Wait()
	if got := peak.Load(); got != limit {
		t.Errorf("peak concurrent derivations = %d, want %d", got, limit)
	}
}

func TestWaitHonoursContext(t *testing.T) {
	h := password.NewHasherWithParams(cheapParams, 1, nil)
	release := make(chan struct{})
	entered := make(chan struct{})
	var first atomic.Bool
	password.SetDeriveHook(h, func() {
		if first.CompareAndSwap(false, true) { // only the first caller holds its slot
			close(entered)
			<-release
		}
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := h.Hash(context.Background(), "holder"); err != nil {
			t.Error(err)
		}
	}()
	<-entered // the only slot is now taken

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "waiter"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash while waiting = %v, want DeadlineExceeded", err)
	}
	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if _, err := h.Verify(cancelled, "password", referenceDigests[1].digest); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify with cancelled ctx = %v, want Canceled", err)
	}

	close(release)
	<-done
	if ok, err := h.Verify(context.Background(), "password", referenceDigests[1].digest); !ok || err != nil {
		t.Errorf("after release Verify = %v, %v", ok, err)
	}
}

// Hash reads the injected random source under a lock, so a reader that is not
// safe for concurrent use still works: the reader fails the test when two
// reads overlap, and every salt is read whole and once.
func TestHashConcurrentRandom(t *testing.T) {
	src := &exclusiveReader{t: t}
	h := password.NewHasherWithParams(cheapParams, 4, src)
	var wg sync.WaitGroup
	digests := make([]string, 32)
	for i := range digests {
		wg.Go(func() {
			d, err := h.Hash(context.Background(), "pw")
			if err != nil {
				t.Error(err)
			}
			digests[i] = d
		})
	}
	wg.Wait()
	if n := src.reads.Load(); n < int64(len(digests)) {
		t.Fatalf("%d reads of the random source for %d hashes", n, len(digests))
	}
	seen := map[string]bool{}
	for _, d := range digests {
		if seen[d] {
			t.Fatalf("two hashes share a salt: %s", d)
		}
		seen[d] = true
	}
}

// exclusiveReader numbers its reads into the bytes it yields, so each salt
// is distinct, and fails the test when Read is called while another Read
// is running.
type exclusiveReader struct {
	t      *testing.T
	inRead atomic.Bool
	reads  atomic.Int64
}

func (r *exclusiveReader) Read(p []byte) (int, error) {
	if !r.inRead.CompareAndSwap(false, true) {
		r.t.Error("the random source was read by two goroutines at once")
		return 0, errors.New("concurrent read")
	}
	defer r.inRead.Store(false)
	n := r.reads.Add(1)
	time.Sleep(100 * time.Microsecond) // widen the window an unlocked caller would hit
	clear(p)
	binary.BigEndian.PutUint64(p[:min(8, len(p))], uint64(n))
	return len(p), nil
}

// BenchmarkVerify measures the raw rate with the production parameters
// (about 25 ms per verify per core with the default parameters).
func BenchmarkVerify(b *testing.B) {
	h := password.NewHasher(0, nil)
	digest, err := h.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := h.Verify(context.Background(), "correct horse battery staple", digest); !ok || err != nil {
				b.Fatalf("Verify = %v, %v", ok, err)
			}
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	p := password.Policy{Rejects: password.RejectsPolicy{Words: []string{"acme", "authtrail"}}}
	info := password.UserInfo{Name: "Ada Lovelace", Username: "ada", Email: "ada@example.com", Phone: "4412345678"}
	for b.Loop() {
		p.Check("Tr0ub4dor&3-acme-ada", info, nil)
	}
}
