package code

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// DataKeySize is the size of a per-send data key (AES-256).
const DataKeySize = 32

// MasterKeySize is the size of the server's encryption key that DeriveKey expands.
const MasterKeySize = 32

var (
	// ErrDataKeySize reports a data key that is not DataKeySize bytes.
	ErrDataKeySize = errors.New("code: data key must be 32 bytes")
	// ErrUnsealable covers every reason a sealed code cannot be opened:
	// wrong key, wrong send id, tampering or malformed input. One error keeps
	// callers from leaking which it was.
	ErrUnsealable = errors.New("code: sealed code cannot be opened")
)

// NewDataKey returns DataKeySize random bytes from r (crypto/rand when nil).
func NewDataKey(r io.Reader) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	key := make([]byte, DataKeySize)
	if _, err := io.ReadFull(r, key); err != nil {
		return nil, fmt.Errorf("code: read randomness: %w", err)
	}
	return key, nil
}

// Seal encrypts code with AES-256-GCM under dataKey. The nonce comes from r
// (crypto/rand when nil); sendID is the associated data, so a sealed code
// cannot be replayed into another send. The result is base64url(nonce||ciphertext).
func Seal(dataKey []byte, sendID, code string, r io.Reader) (string, error) {
	aead, err := newAEAD(dataKey)
	if err != nil {
		return "", err
	}
	if r == nil {
		r = rand.Reader
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(code)+aead.Overhead())
	if _, err := io.ReadFull(r, nonce); err != nil {
		return "", fmt.Errorf("code: read randomness: %w", err)
	}
	sealed := aead.Seal(nonce, nonce, []byte(code), []byte(sendID))
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Open reverses Seal. It fails with ErrUnsealable on a wrong key, a wrong
// sendID or any change to sealed.
func Open(dataKey []byte, sendID, sealed string) (string, error) {
	aead, err := newAEAD(dataKey)
	if err != nil {
		return "", err
	}
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", ErrUnsealable
	}
	nonce, ciphertext := raw[:aead.NonceSize()], raw[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, ciphertext, []byte(sendID))
	if err != nil {
		return "", ErrUnsealable
	}
	return string(plain), nil
}

func newAEAD(dataKey []byte) (cipher.AEAD, error) {
	if len(dataKey) != DataKeySize {
		return nil, ErrDataKeySize
	}
	block, err := aes.NewCipher(dataKey)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// DeriveKey expands the server's master key into a 32-byte sub-key bound to
// purpose (HKDF-SHA256, purpose as info), so one secret can serve several
// uses without one use's key revealing another's. It panics when master is
// shorter than MasterKeySize, a configuration bug.
func DeriveKey(master []byte, purpose string) []byte {
	if len(master) < MasterKeySize {
		panic(fmt.Sprintf("code: master key has %d bytes, want at least %d", len(master), MasterKeySize))
	}
	key, err := hkdf.Key(sha256.New, master, nil, purpose, 32)
	if err != nil {
		panic("code: hkdf: " + err.Error()) // only for lengths above 255*32
	}
	return key
}
