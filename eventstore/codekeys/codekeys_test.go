package codekeys_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/authtrail/authtrail/eventstore/codekeys"
	"github.com/authtrail/authtrail/eventstore/natstest"
	"github.com/nats-io/nats.go/jetstream"
)

func TestPutGetDelete(t *testing.T) {
	ctx := context.Background()
	js, err := jetstream.New(natstest.NewConn(t, natstest.RunBasicJetStreamServer(t)))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := codekeys.Open(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := codekeys.Open(ctx, js, 1); err != nil {
		t.Fatalf("second open: %v", err)
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	if err := keys.Put(ctx, "send1", key); err != nil {
		t.Fatal(err)
	}
	if err := keys.Put(ctx, "send1", key); err == nil {
		t.Fatal("a send id must not be reused")
	}
	got, err := keys.Get(ctx, "send1")
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("get = %q %v", got, err)
	}
	if err := keys.Delete(ctx, "send1"); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Get(ctx, "send1"); !errors.Is(err, codekeys.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := keys.Delete(ctx, "send1"); err != nil {
		t.Fatalf("a second delete (a redelivered send) must succeed: %v", err)
	}
	if _, err := keys.Get(ctx, "never"); !errors.Is(err, codekeys.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
}

// Keys used to live in a KV bucket, whose stream denies the deletes that
// erase them; opening the store removes that bucket with its files.
func TestOpenRemovesTheOldBucket(t *testing.T) {
	ctx := context.Background()
	js, err := jetstream.New(natstest.NewConn(t, natstest.RunBasicJetStreamServer(t)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "code_keys"}); err != nil {
		t.Fatal(err)
	}
	if _, err := codekeys.Open(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := js.KeyValue(ctx, "code_keys"); !errors.Is(err, jetstream.ErrBucketNotFound) {
		t.Fatalf("old bucket after open: %v", err)
	}
}
