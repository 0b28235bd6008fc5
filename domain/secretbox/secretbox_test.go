package secretbox_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
	"testing/iotest"

	"github.com/authtrail/authtrail/domain/secretbox"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, secretbox.KeySize) }

var secret = []byte("AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT")

func TestRoundTrip(t *testing.T) {
	ring := secretbox.NewKeyring("k1", key(1))
	for _, pt := range [][]byte{secret, {}, bytes.Repeat([]byte{0xff}, 4096)} {
		s, err := ring.Seal(pt, "totp:user-1", nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.KeyID != "k1" {
			t.Errorf("KeyID = %q", s.KeyID)
		}
		raw, err := base64.RawURLEncoding.DecodeString(s.Box)
		if err != nil || len(raw) != 12+len(pt)+16 {
			t.Errorf("box is %d bytes (%v), want nonce+%d+tag", len(raw), err, len(pt))
		}
		got, err := ring.Open(s, "totp:user-1")
		if err != nil || !bytes.Equal(got, pt) {
			t.Errorf("Open = %q, %v", got, err)
		}
	}
}

func TestSealUsesInjectedNonce(t *testing.T) {
	ring := secretbox.NewKeyring("k1", key(1))
	nonce := bytes.Repeat([]byte{7}, 12)
	a, err := ring.Seal(secret, "x", bytes.NewReader(nonce))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ring.Seal(secret, "x", bytes.NewReader(nonce))
	if a != b {
		t.Error("the same nonce gave different boxes")
	}
	raw, _ := base64.RawURLEncoding.DecodeString(a.Box)
	if !bytes.Equal(raw[:12], nonce) || bytes.Contains(raw, secret) {
		t.Error("box does not start with the nonce, or holds the plaintext")
	}
	c, _ := ring.Seal(secret, "x", nil)
	d, _ := ring.Seal(secret, "x", nil)
	if c == d {
		t.Error("two random seals are equal")
	}
	boom := errors.New("boom")
	if _, err := ring.Seal(secret, "x", iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("failing reader: %v", err)
	}
	if _, err := ring.Seal(secret, "x", bytes.NewReader(nonce[:11])); err == nil {
		t.Error("short nonce: no error")
	}
}

func TestRotation(t *testing.T) {
	old := secretbox.NewKeyring("k1", key(1))
	sealedOld, err := old.Seal(secret, "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	ring := secretbox.NewKeyring("k2", key(2)).WithKey("k1", key(1))
	if ring.CurrentKeyID() != "k2" {
		t.Errorf("current key = %q", ring.CurrentKeyID())
	}
	if got, err := ring.Open(sealedOld, "a"); err != nil || !bytes.Equal(got, secret) {
		t.Errorf("old key: %q, %v", got, err)
	}
	sealedNew, err := ring.Seal(secret, "a", nil)
	if err != nil || sealedNew.KeyID != "k2" {
		t.Fatalf("new seal under %q, %v", sealedNew.KeyID, err)
	}
	if _, err := old.Open(sealedNew, "a"); !errors.Is(err, secretbox.ErrUnknownKey) {
		t.Errorf("old ring opening a new box: %v", err)
	}
	// WithKey does not replace a key the ring has, nor change the original.
	again := ring.WithKey("k2", key(9))
	if got, err := again.Open(sealedNew, "a"); err != nil || !bytes.Equal(got, secret) {
		t.Errorf("after WithKey on a taken id: %q, %v", got, err)
	}
	if _, err := secretbox.NewKeyring("k2", key(2)).Open(sealedOld, "a"); !errors.Is(err, secretbox.ErrUnknownKey) {
		t.Errorf("WithKey changed its receiver: %v", err)
	}
}

func TestAADBinding(t *testing.T) {
	ring := secretbox.NewKeyring("k1", key(1))
	s, _ := ring.Seal(secret, "totp:user-1", nil)
	for _, aad := range []string{"totp:user-2", "", "totp:user-1 ", "TOTP:user-1"} {
		if _, err := ring.Open(s, aad); !errors.Is(err, secretbox.ErrUnsealable) {
			t.Errorf("Open with aad %q: %v", aad, err)
		}
	}
}

func TestTampering(t *testing.T) {
	ring := secretbox.NewKeyring("k1", key(1)).WithKey("k0", key(1))
	s, _ := ring.Seal(secret, "a", nil)
	raw, _ := base64.RawURLEncoding.DecodeString(s.Box)
	for i := range raw {
		for _, bit := range []byte{0x01, 0x80} {
			mod := bytes.Clone(raw)
			mod[i] ^= bit
			bad := secretbox.Sealed{KeyID: s.KeyID, Box: base64.RawURLEncoding.EncodeToString(mod)}
			if _, err := ring.Open(bad, "a"); !errors.Is(err, secretbox.ErrUnsealable) {
				t.Fatalf("byte %d bit %#x flipped: %v", i, bit, err)
			}
		}
	}
	for name, box := range map[string]string{
		"truncated":   base64.RawURLEncoding.EncodeToString(raw[:len(raw)-1]),
		"extended":    base64.RawURLEncoding.EncodeToString(append(bytes.Clone(raw), 0)),
		"too short":   base64.RawURLEncoding.EncodeToString(raw[:27]),
		"empty":       "",
		"not base64":  "!" + s.Box[1:],
		"std padding": base64.URLEncoding.EncodeToString(raw) + "==",
	} {
		if _, err := ring.Open(secretbox.Sealed{KeyID: "k1", Box: box}, "a"); !errors.Is(err, secretbox.ErrUnsealable) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The key id is bound: relabelling the box with another id whose key is
	// the same bytes still fails.
	if _, err := ring.Open(secretbox.Sealed{KeyID: "k0", Box: s.Box}, "a"); !errors.Is(err, secretbox.ErrUnsealable) {
		t.Errorf("relabelled key id: %v", err)
	}
}

func TestUnknownKey(t *testing.T) {
	ring := secretbox.NewKeyring("k1", key(1))
	s, _ := ring.Seal(secret, "a", nil)
	s.KeyID = "k9"
	if _, err := ring.Open(s, "a"); !errors.Is(err, secretbox.ErrUnknownKey) {
		t.Errorf("unknown key id: %v", err)
	}
	wrong := secretbox.NewKeyring("k1", key(2))
	s.KeyID = "k1"
	if _, err := wrong.Open(s, "a"); !errors.Is(err, secretbox.ErrUnsealable) {
		t.Errorf("same id, other key: %v", err)
	}
}

func TestKeySizePanics(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic on a %d-byte key", n)
				}
			}()
			secretbox.NewKeyring("k", make([]byte, n))
		}()
	}
}
