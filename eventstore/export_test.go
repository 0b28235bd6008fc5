package eventstore

// SetRecentEvents makes a store count an aggregate's last event as recent
// only within n events of the newest, so tests need not append thousands.
func SetRecentEvents(s *Store, n uint64) { s.recent = n }
