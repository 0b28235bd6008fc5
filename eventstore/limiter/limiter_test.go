package limiter_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/throttle"
	"github.com/authtrail/authtrail/eventstore/limiter"
	"github.com/authtrail/authtrail/eventstore/natstest"
)

func open(t *testing.T, clock domain.Clock) (*limiter.Limiter, jetstream.JetStream) {
	t.Helper()
	ns := natstest.RunBasicJetStreamServer(t)
	js, err := jetstream.New(natstest.NewConn(t, ns))
	if err != nil {
		t.Fatal(err)
	}
	l, err := limiter.Open(context.Background(), js, limiter.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return l, js
}

func TestTakeSpendsAndRefuses(t *testing.T) {
	ctx := context.Background()
	clock := &domain.FixedClock{T: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	l, _ := open(t, clock)
	r := throttle.Rate{Count: 2, Window: time.Minute}
	for i := range 2 {
		if d, err := l.Take(ctx, "client.a", r); err != nil || !d.Allowed {
			t.Fatalf("take %d: %+v %v", i+1, d, err)
		}
	}
	d, err := l.Take(ctx, "client.a", r)
	if err != nil || d.Allowed || d.RetryAfterSeconds() != 30 {
		t.Fatalf("third take: %+v %v, want refused for 30 s", d, err)
	}
	if d, _ := l.Peek(ctx, "client.b", r); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("another key: %+v", d)
	}
	clock.Advance(30 * time.Second)
	if d, _ := l.Take(ctx, "client.a", r); !d.Allowed {
		t.Fatalf("after 30 s: %+v", d)
	}
}

// Two limiters on one NATS (two processes) share the buckets: racing takes
// are granted exactly the rate between them.
func TestConcurrentTakesFromTwoLimitersGrantTheRateOnce(t *testing.T) {
	ctx := context.Background()
	clock := &domain.FixedClock{T: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	a, js := open(t, clock)
	b, err := limiter.Open(ctx, js, limiter.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	r := throttle.Rate{Count: 25, Window: time.Hour}
	var granted atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() {
			for range 10 {
				d, err := l.Take(ctx, "client.shared", r)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					granted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := granted.Load(); got != 25 {
		t.Fatalf("granted %d of 80 takes, want exactly 25", got)
	}
}

func TestRemember(t *testing.T) {
	ctx := context.Background()
	l, _ := open(t, nil)
	if ok, err := l.Remembers(ctx, "seen.x"); err != nil || ok {
		t.Fatalf("before: %v %v", ok, err)
	}
	if err := l.Remember(ctx, "seen.x"); err != nil {
		t.Fatal(err)
	}
	if ok, err := l.Remembers(ctx, "seen.x"); err != nil || !ok {
		t.Fatalf("after: %v %v", ok, err)
	}
}
