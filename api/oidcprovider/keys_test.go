package oidcprovider

import (
	"bytes"
	"testing"
	"time"
)

// Keys rotate every period; the JWKS holds the current and the previous
// key, so a token signed just before a rotation still verifies after it.
// The keys depend on the master key alone: two processes agree.
func TestSigningKeysRotate(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	master := bytes.Repeat([]byte{3}, 32)
	keys := newSigningKeys(master, 24*time.Hour, clock)
	before, err := keys.current()
	if err != nil {
		t.Fatal(err)
	}
	if other, _ := newSigningKeys(master, 24*time.Hour, clock).current(); other.ID() != before.ID() || !other.key.Equal(before.key) {
		t.Fatal("two processes derive different keys")
	}
	if foreign, _ := newSigningKeys(bytes.Repeat([]byte{4}, 32), 24*time.Hour, clock).current(); foreign.ID() == before.ID() {
		t.Fatal("another master key gives the same signing key")
	}
	now = now.Add(24 * time.Hour)
	after, _ := keys.current()
	if after.ID() == before.ID() {
		t.Fatal("the key did not rotate after a period")
	}
	published, _ := keys.published()
	if len(published) != 2 || published[0].ID() != after.ID() || published[1].ID() != before.ID() {
		t.Fatalf("published %v, want the current key then the previous one", published)
	}
	now = now.Add(24 * time.Hour)
	published, _ = keys.published()
	for _, k := range published {
		if k.ID() == before.ID() {
			t.Fatal("a key two periods old is still published")
		}
	}
}
