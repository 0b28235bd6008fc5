package eventstore

import (
	"container/list"
	"slices"
	"sync"
)

// cache keeps recently used aggregates in memory, so a load only reads the
// events appended since. It is safe because the stream denies deletes and
// purges: a subject's history only ever grows.
type cache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // front = most recently used; values are *cacheEntry
	entries map[string]*list.Element
}

type cacheEntry struct {
	subject string
	envs    []Envelope // never modified in place: extending makes a new slice
	lastSeq uint64
}

// newCache returns a cache of at most max aggregates; max <= 0 disables it.
func newCache(max int) *cache {
	return &cache{max: max, order: list.New(), entries: map[string]*list.Element{}}
}

// get returns the cached events of subject and the sequence of the last one.
// The slice is clipped, so appending to it cannot touch the cache.
func (c *cache) get(subject string) ([]Envelope, uint64, bool) {
	if c.max <= 0 {
		return nil, 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[subject]
	if !ok {
		return nil, 0, false
	}
	c.order.MoveToFront(el)
	e := el.Value.(*cacheEntry)
	return slices.Clip(e.envs), e.lastSeq, true
}

// put records envs as the whole history of subject up to lastSeq.
func (c *cache) put(subject string, envs []Envelope, lastSeq uint64) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(subject, envs, lastSeq)
}

// putLocked keeps the newer of the cached and the given history, since a
// slow concurrent load may finish after a faster one.
func (c *cache) putLocked(subject string, envs []Envelope, lastSeq uint64) {
	if el, ok := c.entries[subject]; ok {
		e := el.Value.(*cacheEntry)
		if e.lastSeq <= lastSeq {
			e.envs, e.lastSeq = slices.Clip(envs), lastSeq
		}
		c.order.MoveToFront(el)
		return
	}
	c.entries[subject] = c.order.PushFront(&cacheEntry{subject: subject, envs: slices.Clip(envs), lastSeq: lastSeq})
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).subject)
	}
}

// drop forgets subject.
func (c *cache) drop(subject string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[subject]; ok {
		c.order.Remove(el)
		delete(c.entries, subject)
	}
}

// extend adds events just appended after expectedSeq. It only applies when
// the cache holds exactly the history the append was checked against, or
// when the subject was empty; otherwise the next load reads the tail.
func (c *cache) extend(subject string, expectedSeq uint64, appended []Envelope) {
	if c.max <= 0 || len(appended) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var base []Envelope
	if el, ok := c.entries[subject]; ok {
		e := el.Value.(*cacheEntry)
		if e.lastSeq != expectedSeq {
			return
		}
		base = e.envs
	} else if expectedSeq != 0 {
		return
	}
	c.putLocked(subject, slices.Concat(base, appended), appended[len(appended)-1].Seq)
}
