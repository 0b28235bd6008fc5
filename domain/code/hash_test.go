package code_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/authtrail/authtrail/domain/code"
)

var (
	keyA = bytes.Repeat([]byte{0xa}, 32)
	keyB = bytes.Repeat([]byte{0xb}, 32)
)

func TestHasherMatches(t *testing.T) {
	h := code.NewHasher("k1", keyA)
	d := h.Hash("rec-1", "012345")

	tests := []struct {
		name      string
		hasher    *code.Hasher
		digest    code.Digest
		bindingID string
		code      string
		want      bool
	}{
		{"same binding and code", h, d, "rec-1", "012345", true},
		{"wrong code", h, d, "rec-1", "012346", false},
		{"empty code", h, d, "rec-1", "", false},
		{"other binding", h, d, "rec-2", "012345", false},
		{"binding and code boundary shifted", h, h.Hash("rec-10", "12345"), "rec-1", "012345", false},
		{"unknown key id", h, code.Digest{KeyID: "k0", Sum: d.Sum}, "rec-1", "012345", false},
		{"same id, other key", code.NewHasher("k1", keyB), d, "rec-1", "012345", false},
		{"malformed sum", h, code.Digest{KeyID: "k1", Sum: "!!"}, "rec-1", "012345", false},
		{"truncated sum", h, code.Digest{KeyID: "k1", Sum: d.Sum[:10]}, "rec-1", "012345", false},
		{"retired key still verifies", code.NewHasher("k2", keyB).WithRetiredKey("k1", keyA), d, "rec-1", "012345", true},
		{"retired key cannot replace the current one", h.WithRetiredKey("k1", keyB), d, "rec-1", "012345", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hasher.Matches(tt.digest, tt.bindingID, tt.code); got != tt.want {
				t.Errorf("Matches() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHasherHash(t *testing.T) {
	h := code.NewHasher("k1", keyA)
	d := h.Hash("rec-1", "012345")
	if d.KeyID != "k1" {
		t.Errorf("KeyID = %q, want k1", d.KeyID)
	}
	// Known answer, computed independently: stored digests must survive upgrades.
	if want := "mncbFPGysJcwhxVkuil1SJuomIEjTlpMxPhX0DmN5Oc"; d.Sum != want {
		t.Errorf("Sum = %q, want %q", d.Sum, want)
	}
	if d != h.Hash("rec-1", "012345") {
		t.Error("Hash is not deterministic")
	}
	if d.Sum == h.Hash("rec-2", "012345").Sum {
		t.Error("digest does not depend on the binding")
	}
	if len(d.Sum) != 43 { // 32 bytes, base64url without padding
		t.Errorf("len(Sum) = %d, want 43", len(d.Sum))
	}
	rotated := code.NewHasher("k2", keyB).WithRetiredKey("k1", keyA)
	if got := rotated.Hash("rec-1", "012345"); got.KeyID != "k2" || got.Sum == d.Sum {
		t.Errorf("after rotation Hash() = %+v, want the new key", got)
	}
}

func TestHasherKeyIsCopied(t *testing.T) {
	key := bytes.Clone(keyA)
	h := code.NewHasher("k1", key)
	d := h.Hash("rec-1", "012345")
	key[0] ^= 1
	if !h.Matches(d, "rec-1", "012345") {
		t.Error("changing the caller's slice changed the hasher's key")
	}
}

func TestDigestJSON(t *testing.T) {
	b, err := json.Marshal(code.Digest{KeyID: "k1", Sum: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"keyId":"k1","sum":"abc"}`; string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
}

func TestNewHasherRejectsShortKey(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewHasher accepted a 16-byte key")
		}
	}()
	code.NewHasher("k1", make([]byte, 16))
}
