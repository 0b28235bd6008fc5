package eventstore

import (
	"container/list"
	"slices"
	"sync"
)

// cache keeps recently used aggregates in memory: their events (so a load
// only reads the events appended since) or their folded state (LoadState).
// It is safe because the stream denies deletes and purges: a subject's
// history only ever grows. A value is never modified in place: extending
// makes a new one.
type cache[V any] struct {
	mu      sync.Mutex
	max     int
	order   *list.List // front = most recently used; values are *cacheEntry[V]
	entries map[string]*list.Element
	// sizeOf, when set, estimates a value's bytes; the cache then holds at
	// most maxBytes of them, since a count alone does not bound memory
	// when aggregates differ in size.
	sizeOf   func(V) int
	maxBytes int
	bytes    int
}

type cacheEntry[V any] struct {
	key     string
	value   V
	lastSeq uint64 // the stream sequence of the last event value holds
	size    int
}

// newCache returns a cache of at most max aggregates; max <= 0 disables it.
func newCache[V any](max int) *cache[V] {
	return &cache[V]{max: max, order: list.New(), entries: map[string]*list.Element{}}
}

// newSizedCache returns a cache of at most max aggregates and maxBytes of
// values as sizeOf estimates them.
func newSizedCache[V any](max, maxBytes int, sizeOf func(V) int) *cache[V] {
	c := newCache[V](max)
	c.sizeOf, c.maxBytes = sizeOf, maxBytes
	return c
}

func (c *cache[V]) size(v V) int {
	if c.sizeOf == nil {
		return 0
	}
	return c.sizeOf(v)
}

// get returns the cached value of key and the sequence it is at.
func (c *cache[V]) get(key string) (V, uint64, bool) {
	var zero V
	if c.max <= 0 {
		return zero, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return zero, 0, false
	}
	c.order.MoveToFront(el)
	e := el.Value.(*cacheEntry[V])
	return e.value, e.lastSeq, true
}

// put records value as key's state up to lastSeq.
func (c *cache[V]) put(key string, value V, lastSeq uint64) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(key, value, lastSeq)
}

// putLocked keeps the newer of the cached and the given value, since a
// slow concurrent load may finish after a faster one.
func (c *cache[V]) putLocked(key string, value V, lastSeq uint64) {
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry[V])
		if e.lastSeq <= lastSeq {
			size := c.size(value)
			c.bytes += size - e.size
			e.value, e.lastSeq, e.size = value, lastSeq, size
		}
		c.order.MoveToFront(el)
	} else {
		e := &cacheEntry[V]{key: key, value: value, lastSeq: lastSeq, size: c.size(value)}
		c.entries[key] = c.order.PushFront(e)
		c.bytes += e.size
	}
	// The newest entry stays even when it alone is over the budget.
	for c.order.Len() > c.max || c.sizeOf != nil && c.bytes > c.maxBytes && c.order.Len() > 1 {
		c.removeLocked(c.order.Back())
	}
}

func (c *cache[V]) removeLocked(el *list.Element) {
	e := el.Value.(*cacheEntry[V])
	c.order.Remove(el)
	delete(c.entries, e.key)
	c.bytes -= e.size
}

// drop forgets key.
func (c *cache[V]) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.removeLocked(el)
	}
}

// extendEvents adds events just appended after expectedSeq to the cached
// history of subject. It only applies when the cache holds exactly the
// history the append was checked against, or when the subject was empty;
// otherwise the next load reads the tail.
func extendEvents(c *cache[[]Envelope], subject string, expectedSeq uint64, appended []Envelope) {
	if c.max <= 0 || len(appended) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var base []Envelope
	if el, ok := c.entries[subject]; ok {
		e := el.Value.(*cacheEntry[[]Envelope])
		if e.lastSeq != expectedSeq {
			return
		}
		base = e.value
	} else if expectedSeq != 0 {
		return
	}
	c.putLocked(subject, slices.Clip(slices.Concat(base, appended)), appended[len(appended)-1].Seq)
}

// envelopesSize estimates the memory a cached history holds: each
// envelope's strings and payload, and its fixed part.
func envelopesSize(envs []Envelope) int {
	n := 0
	for i := range envs {
		n += envelopeSize(&envs[i])
	}
	return n
}

func envelopeSize(e *Envelope) int {
	const fixed = 200 // the struct, string headers, time and slice header
	return fixed + len(e.ID) + len(e.Type) + len(e.AggType) + len(e.AggID) + len(e.Actor) +
		len(e.CorrelationID) + len(e.CausationID) + len(e.Subject) + len(e.Data)
}

// newLastsCache holds Last's answers, one event per subject, in a quarter
// of the event cache's byte budget.
func newLastsCache(cfg Config) *cache[Envelope] {
	return newSizedCache(cfg.CacheSize, cfg.CacheBytes/4, func(e Envelope) int { return envelopeSize(&e) })
}
