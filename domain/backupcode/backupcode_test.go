package backupcode_test

import (
	"bytes"
	"errors"
	"regexp"
	"testing"
	"testing/iotest"

	"github.com/authtrail/authtrail/domain/backupcode"
)

var codeShape = regexp.MustCompile(`^[0-9a-f]{10}$`)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestGenerateFormat(t *testing.T) {
	all := map[string]bool{}
	for range 200 {
		codes, err := backupcode.Generate(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != backupcode.Count {
			t.Fatalf("%d codes, want %d", len(codes), backupcode.Count)
		}
		for _, c := range codes {
			if !codeShape.MatchString(c) {
				t.Errorf("code %q is not 10 lower-case hex characters", c)
			}
			if all[c] {
				t.Errorf("code %q drawn twice", c)
			}
			all[c] = true
		}
	}
}

func TestGenerateInjected(t *testing.T) {
	seq := make([]byte, 50)
	for i := range seq {
		seq[i] = byte(i * 5)
	}
	codes, err := backupcode.Generate(bytes.NewReader(seq))
	if err != nil {
		t.Fatal(err)
	}
	if codes[0] != "00050a0f14" || codes[9] != "e1e6ebf0f5" {
		t.Errorf("codes = %v", codes)
	}
	// A duplicate draw is skipped, not returned twice.
	dup := append(append([]byte{}, seq[:5]...), seq...)
	codes, err = backupcode.Generate(bytes.NewReader(dup))
	if err != nil || codes[1] != "191e23282d" {
		t.Errorf("with a repeated draw: %v, %v", codes, err)
	}
	if _, err := backupcode.Generate(bytes.NewReader(make([]byte, 1000))); err == nil {
		t.Error("a source of zeros: no error")
	}
	boom := errors.New("boom")
	if _, err := backupcode.Generate(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("failing reader: %v", err)
	}
}

func hashAll(h *backupcode.Hasher, userID string, codes []string) []backupcode.Hash {
	hs := make([]backupcode.Hash, len(codes))
	for i, c := range codes {
		hs[i] = h.Hash(userID, c)
	}
	return hs
}

func TestFind(t *testing.T) {
	codes, err := backupcode.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	h := backupcode.NewHasher("k1", key(1))
	hashes := hashAll(h, "user-1", codes)
	for _, hs := range hashes {
		if hs.KeyID != "k1" || len(hs.Sum) != 43 {
			t.Fatalf("hash = %+v", hs)
		}
	}
	for i, c := range codes {
		if got, ok := h.Find(hashes, "user-1", c); !ok || got != i {
			t.Errorf("Find(code %d) = %d, %v", i, got, ok)
		}
	}
	if i, ok := h.Find(hashes, "user-1", "0000000000"); ok || i != -1 {
		t.Errorf("unknown code found at %d", i)
	}
	if _, ok := h.Find(hashes, "user-2", codes[3]); ok {
		t.Error("found under another user id")
	}
	// The user id is length-prefixed: moving characters between id and code
	// does not give the same hash.
	if backupcode.NewHasher("k1", key(1)).Hash("ab", "c123456789") == h.Hash("abc", "123456789") {
		t.Error("user id and code are not separated")
	}
	if _, ok := h.Find(nil, "user-1", codes[0]); ok {
		t.Error("found in an empty list")
	}
}

func TestFindFirstOfDuplicates(t *testing.T) {
	h := backupcode.NewHasher("k1", key(1))
	hs := hashAll(h, "u", []string{"aaaaaaaaaa", "bbbbbbbbbb", "bbbbbbbbbb"})
	if i, ok := h.Find(hs, "u", "bbbbbbbbbb"); !ok || i != 1 {
		t.Errorf("Find = %d, %v; want the first, 1", i, ok)
	}
}

func TestFindNormalizes(t *testing.T) {
	h := backupcode.NewHasher("k1", key(1))
	hashes := hashAll(h, "u", []string{"3f9a0c1b2d", "00aa11bb22"})
	for _, in := range []string{"3F9A0C1B2D", " 3f9a0c1b2d", "3F9a0c1B2d\t\n"} {
		if i, ok := h.Find(hashes, "u", in); !ok || i != 0 {
			t.Errorf("Find(%q) = %d, %v", in, i, ok)
		}
	}
	// Upper-case input hashes to the same as lower case.
	if h.Hash("u", "00AA11BB22") != hashes[1] {
		t.Error("Hash does not normalise")
	}
	for _, in := range []string{"", "3f9a0c1b2", "3f9a0c1b2dd", "3f9a0c1b2g", "3f9a 0c1b2d"} {
		if _, ok := h.Find(hashes, "u", in); ok {
			t.Errorf("Find(%q) = true", in)
		}
	}
}

func TestFindKeys(t *testing.T) {
	code := "0123456789"
	old := backupcode.NewHasher("k1", key(1))
	hashes := []backupcode.Hash{old.Hash("u", "ffffffffff"), old.Hash("u", code)}

	wrong := backupcode.NewHasher("k1", key(2)) // same id, other key
	if _, ok := wrong.Find(hashes, "u", code); ok {
		t.Error("found with the wrong key")
	}
	rotated := backupcode.NewHasher("k2", key(2))
	if _, ok := rotated.Find(hashes, "u", code); ok {
		t.Error("found under an unknown key id")
	}
	rotated = rotated.WithRetiredKey("k1", key(1))
	if i, ok := rotated.Find(hashes, "u", code); !ok || i != 1 {
		t.Errorf("retired key: Find = %d, %v", i, ok)
	}
	if got := rotated.Hash("u", code); got.KeyID != "k2" {
		t.Errorf("new hashes use key %q", got.KeyID)
	}
	// Hashes under both keys in one list.
	mixed := append(hashes, rotated.Hash("u", "abcdefabcd"))
	if i, ok := rotated.Find(mixed, "u", "abcdefabcd"); !ok || i != 2 {
		t.Errorf("mixed keys: Find = %d, %v", i, ok)
	}
	// Malformed stored sums never match and never panic.
	bad := []backupcode.Hash{{KeyID: "k1", Sum: "!!"}, {KeyID: "k1", Sum: string(make([]byte, 200))}, {KeyID: "k1", Sum: hashes[1].Sum[:42] + "*"}}
	if _, ok := old.Find(bad, "u", code); ok {
		t.Error("malformed sum matched")
	}
}

func TestShortKeyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic on a 16-byte key")
		}
	}()
	backupcode.NewHasher("k", make([]byte, 16))
}
