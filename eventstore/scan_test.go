package eventstore_test

import (
	"slices"
	"testing"

	"github.com/authtrail/authtrail/eventstore"
)

func TestScanReadsTheWholeStreamInOrder(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{})
	var none int
	if err := store.Scan(testContext(t), func(eventstore.Envelope) error { none++; return nil }); err != nil || none != 0 {
		t.Fatalf("empty stream: %d events, %v", none, err)
	}
	one, two := newSubject("interaction"), newSubject("user")
	first := appendOne(t, store, one, 0, 0, "a")
	appendOne(t, store, two, 0, 0, "b")
	appendOne(t, store, one, first.Seq, 1, "c")

	var got []string
	var seqs []uint64
	err := store.Scan(testContext(t), func(env eventstore.Envelope) error {
		got = append(got, texts(t, []eventstore.Envelope{env})...)
		seqs = append(seqs, env.Seq)
		return nil
	})
	if err != nil || !slices.Equal(got, []string{"a", "b", "c"}) || !slices.IsSorted(seqs) {
		t.Fatalf("scan = %v at %v, %v", got, seqs, err)
	}
}
