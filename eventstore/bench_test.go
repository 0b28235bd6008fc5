package eventstore_test

import (
	"strconv"
	"testing"

	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/natstest"
)

func BenchmarkAppend(b *testing.B) {
	store := natstest.NewStore(b)
	ctx := testContext(b)
	prefix := newSubject("bench")
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		subject := prefix + strconv.Itoa(i)
		_, err := store.Append(ctx, eventstore.Metadata{}, eventstore.Write{
			Subject: subject, Events: []eventstore.Pending{note("x")},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadCached(b *testing.B) {
	store := natstest.NewStore(b)
	ctx := testContext(b)
	subject := newSubject("bench")
	var last uint64
	for i := range 20 {
		last = appendOne(b, store, subject, last, uint64(i), "x").Seq
	}
	for b.Loop() {
		envs, _, err := store.Load(ctx, subject)
		if err != nil || len(envs) != 20 {
			b.Fatalf("load: %d events, %v", len(envs), err)
		}
	}
}
