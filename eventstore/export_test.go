package eventstore

// SetRecentEvents makes a store count an aggregate's last event as recent
// only within n events of the newest, so tests need not append thousands.
func SetRecentEvents(s *Store, n uint64) { s.recent = n }

// CachedStateSeq is the stream sequence of the folded state a store
// keeps in memory under key (a Fold's AggregateType.vShape.id).
func CachedStateSeq(s *Store, key string) (uint64, bool) {
	_, seq, ok := s.states.get(key)
	return seq, ok
}
