package eventstore

import (
	"fmt"
	"sync"
	"testing"
)

func envsUpTo(subject string, seqs ...uint64) []Envelope {
	envs := make([]Envelope, len(seqs))
	for i, seq := range seqs {
		envs[i] = Envelope{Subject: subject, Seq: seq, AggVersion: uint64(i + 1)}
	}
	return envs
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newCache[[]Envelope](2)
	c.put("a", envsUpTo("a", 1), 1)
	c.put("b", envsUpTo("b", 2), 2)
	c.get("a") // a is now more recent than b
	c.put("c", envsUpTo("c", 3), 3)

	if _, _, ok := c.get("b"); ok {
		t.Error("b survived, want it evicted")
	}
	for _, s := range []string{"a", "c"} {
		if _, _, ok := c.get(s); !ok {
			t.Errorf("%s evicted", s)
		}
	}
}

func TestCacheKeepsTheNewerHistory(t *testing.T) {
	c := newCache[[]Envelope](10)
	c.put("a", envsUpTo("a", 1, 5), 5)
	c.put("a", envsUpTo("a", 1), 1) // a slow load finishing late
	if envs, last, _ := c.get("a"); last != 5 || len(envs) != 2 {
		t.Fatalf("cache holds %d events to %d, want 2 to 5", len(envs), last)
	}
}

func TestCacheExtendsOnlyTheHistoryTheAppendExpected(t *testing.T) {
	c := newCache[[]Envelope](10)
	extendEvents(c, "new", 0, envsUpTo("new", 3))
	if _, last, ok := c.get("new"); !ok || last != 3 {
		t.Fatalf("new subject not cached after its first append")
	}
	extendEvents(c, "unknown", 7, envsUpTo("unknown", 9))
	if _, _, ok := c.get("unknown"); ok {
		t.Fatal("cached a history whose beginning was never loaded")
	}
	extendEvents(c, "new", 2, []Envelope{{Subject: "new", Seq: 8}})
	if _, last, _ := c.get("new"); last != 3 {
		t.Fatalf("extended from the wrong base: last %d", last)
	}
}

func TestCacheExtendCopiesInsteadOfSharing(t *testing.T) {
	c := newCache[[]Envelope](10)
	c.put("a", envsUpTo("a", 1), 1)
	before, _, _ := c.get("a")
	extendEvents(c, "a", 1, []Envelope{{Subject: "a", Seq: 2}})
	after, _, _ := c.get("a")
	if len(before) != 1 || cap(before) != 1 || len(after) != 2 || &before[0] == &after[0] {
		t.Fatalf("before %v (cap %d), after %v", before, cap(before), after)
	}
}

func TestCacheDisabled(t *testing.T) {
	c := newCache[[]Envelope](-1)
	c.put("a", envsUpTo("a", 1), 1)
	extendEvents(c, "b", 0, envsUpTo("b", 2))
	if _, _, ok := c.get("a"); ok {
		t.Fatal("disabled cache returned an entry")
	}
}

func TestCacheConcurrentUse(t *testing.T) {
	c := newCache[[]Envelope](8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				s := fmt.Sprint("s", (g+i)%12)
				if envs, last, ok := c.get(s); ok {
					extendEvents(c, s, last, []Envelope{{Subject: s, Seq: last + 1}})
					_ = envs
				} else {
					c.put(s, envsUpTo(s, 1), 1)
				}
			}
		})
	}
	wg.Wait()
}

func TestCacheDrop(t *testing.T) {
	c := newCache[[]Envelope](10)
	c.put("a", envsUpTo("a", 5), 5)
	c.drop("a")
	c.put("a", envsUpTo("a", 1), 1)
	if _, last, _ := c.get("a"); last != 1 {
		t.Fatalf("last %d after drop, want 1", last)
	}
}

func TestCacheEvictsPastItsByteBudget(t *testing.T) {
	one := envelopesSize(envsUpTo("a", 1))
	c := newSizedCache(100, 3*one, envelopesSize)
	c.put("a", envsUpTo("a", 1), 1)
	c.put("b", envsUpTo("b", 2), 2)
	c.get("a")
	// c's two events bring the cache to four events' worth: b, the least
	// recently used, goes.
	c.put("c", envsUpTo("c", 3, 4), 4)
	if _, _, ok := c.get("b"); ok {
		t.Error("b survived, want it evicted")
	}
	if c.bytes != 3*one {
		t.Errorf("bytes %d, want %d", c.bytes, 3*one)
	}
	// Growing a's history past the budget evicts c; a alone may exceed it.
	c.put("a", envsUpTo("a", 1, 5, 6, 7), 7)
	if _, _, ok := c.get("c"); ok {
		t.Error("c survived, want it evicted")
	}
	if _, _, ok := c.get("a"); !ok || c.bytes != 4*one {
		t.Errorf("a kept %v, bytes %d, want %d", ok, c.bytes, 4*one)
	}
	c.drop("a")
	if c.bytes != 0 || c.order.Len() != 0 {
		t.Errorf("after drop: bytes %d, entries %d", c.bytes, c.order.Len())
	}
}
