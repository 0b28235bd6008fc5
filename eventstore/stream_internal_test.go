package eventstore

import "testing"

// Replicas may lag the leader, so only a single-replica stream allows the
// direct gets loads use.
func TestDirectReadsOnlyOnASingleReplica(t *testing.T) {
	for replicas, want := range map[int]bool{1: true, 3: false} {
		if got := streamConfig(Config{Replicas: replicas}.withDefaults()).AllowDirect; got != want {
			t.Errorf("replicas %d: AllowDirect %v, want %v", replicas, got, want)
		}
	}
}
