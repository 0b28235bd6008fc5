package code_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/authtrail/authtrail/domain/code"
)

func TestSealOpenRoundTrip(t *testing.T) {
	key, err := code.NewDataKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{"012345", "", "999999"} {
		sealed, err := code.Seal(key, "send-1", plain, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := code.Open(key, "send-1", sealed)
		if err != nil || got != plain {
			t.Errorf("Open(Seal(%q)) = %q, %v", plain, got, err)
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	key := bytes.Repeat([]byte{1}, code.DataKeySize)
	a, _ := code.Seal(key, "send-1", "012345", nil)
	b, _ := code.Seal(key, "send-1", "012345", nil)
	if a == b {
		t.Error("two seals of the same code are identical")
	}
	fixedA, _ := code.Seal(key, "send-1", "012345", rand.NewChaCha8([32]byte{7}))
	fixedB, _ := code.Seal(key, "send-1", "012345", rand.NewChaCha8([32]byte{7}))
	if fixedA != fixedB {
		t.Error("seals with the same injected randomness differ")
	}
}

func TestOpenFailures(t *testing.T) {
	key := bytes.Repeat([]byte{1}, code.DataKeySize)
	otherKey := bytes.Repeat([]byte{2}, code.DataKeySize)
	sealed, err := code.Seal(key, "send-1", "012345", nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(sealed)
	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}

	tests := []struct {
		name   string
		key    []byte
		sendID string
		sealed string
		want   error
	}{
		{"wrong key", otherKey, "send-1", sealed, code.ErrUnsealable},
		{"wrong send id", key, "send-2", sealed, code.ErrUnsealable},
		{"tampered nonce", key, "send-1", flip(0), code.ErrUnsealable},
		{"tampered ciphertext", key, "send-1", flip(12), code.ErrUnsealable},
		{"tampered tag", key, "send-1", flip(len(raw) - 1), code.ErrUnsealable},
		{"truncated", key, "send-1", base64.RawURLEncoding.EncodeToString(raw[:20]), code.ErrUnsealable},
		{"not base64url", key, "send-1", sealed + "=", code.ErrUnsealable},
		{"empty", key, "send-1", "", code.ErrUnsealable},
		{"short key", key[:16], "send-1", sealed, code.ErrDataKeySize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := code.Open(tt.key, tt.sendID, tt.sealed)
			if !errors.Is(err, tt.want) || got != "" {
				t.Errorf("Open() = %q, %v; want error %v", got, err, tt.want)
			}
		})
	}
}

func TestSealFailures(t *testing.T) {
	if _, err := code.Seal(make([]byte, 31), "send-1", "012345", nil); !errors.Is(err, code.ErrDataKeySize) {
		t.Errorf("short key: err = %v", err)
	}
	key := make([]byte, code.DataKeySize)
	if _, err := code.Seal(key, "send-1", "012345", bytes.NewReader(nil)); !errors.Is(err, io.EOF) {
		t.Errorf("empty reader: err = %v", err)
	}
}

func TestNewDataKey(t *testing.T) {
	a, errA := code.NewDataKey(nil)
	b, errB := code.NewDataKey(nil)
	if errA != nil || errB != nil || len(a) != 32 || bytes.Equal(a, b) {
		t.Errorf("NewDataKey() = %x (%v), %x (%v)", a, errA, b, errB)
	}
	fixed, err := code.NewDataKey(bytes.NewReader(bytes.Repeat([]byte{9}, 40)))
	if err != nil || !bytes.Equal(fixed, bytes.Repeat([]byte{9}, 32)) {
		t.Errorf("NewDataKey(fixed) = %x, %v", fixed, err)
	}
	if _, err := code.NewDataKey(bytes.NewReader(make([]byte, 31))); err == nil {
		t.Error("NewDataKey accepted a short read")
	}
}

func TestDeriveKey(t *testing.T) {
	master := bytes.Repeat([]byte{3}, 32)
	hmacKey := code.DeriveKey(master, "authtrail code hmac v1")
	// Known answer (RFC 5869 with an empty salt), computed independently.
	if got, want := hex.EncodeToString(hmacKey), "55a48f14e268b5e6914ded8c9ff85cd8c7d6ba1ec3dc783d8899e6fa570c7d1c"; got != want {
		t.Errorf("DeriveKey() = %s, want %s", got, want)
	}
	if !bytes.Equal(hmacKey, code.DeriveKey(master, "authtrail code hmac v1")) {
		t.Error("DeriveKey is not deterministic")
	}
	distinct := [][]byte{
		hmacKey,
		code.DeriveKey(master, "authtrail code hmac v2"),
		code.DeriveKey(master, "authtrail totp secret v1"),
		code.DeriveKey(bytes.Repeat([]byte{4}, 32), "authtrail code hmac v1"),
		master,
	}
	for i := range distinct {
		for j := i + 1; j < len(distinct); j++ {
			if bytes.Equal(distinct[i], distinct[j]) {
				t.Errorf("keys %d and %d are equal", i, j)
			}
		}
	}
}

func TestDeriveKeyRejectsShortMaster(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("DeriveKey accepted a 31-byte master key")
		}
	}()
	code.DeriveKey(make([]byte, 31), "x")
}
