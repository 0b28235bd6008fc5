// Package secretbox seals secrets that events must carry (TOTP secrets,
// later connector tokens) with AES-256-GCM under a key ring. Each sealed
// value names the key that sealed it, so keys can rotate: the ring seals
// with its current key and still opens values sealed under older ones.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// KeySize is the size of a key (AES-256).
const KeySize = 32

// purpose separates this package's associated data from any other use of
// the same key.
const purpose = "authtrail secretbox v1"

var (
	// ErrUnknownKey reports a sealed value whose key id the ring lacks.
	ErrUnknownKey = errors.New("secretbox: unknown key id")
	// ErrUnsealable covers every other reason a value cannot be opened:
	// wrong key, wrong associated data, tampering or malformed input. One
	// error keeps callers from leaking which it was.
	ErrUnsealable = errors.New("secretbox: sealed value cannot be opened")
)

// Sealed is a sealed secret as it is stored in an event.
type Sealed struct {
	KeyID string `json:"keyId"`
	Box   string `json:"box"` // base64url, unpadded: nonce || ciphertext || tag
}

// Keyring holds the current sealing key and older keys that can still
// open. It is immutable and safe for concurrent use.
type Keyring struct {
	currentID string
	aeads     map[string]cipher.AEAD
}

// NewKeyring returns a ring that seals with current, recorded as currentID.
// It panics unless current is KeySize bytes: that is a configuration bug.
func NewKeyring(currentID string, current []byte) *Keyring {
	return &Keyring{currentID: currentID, aeads: map[string]cipher.AEAD{currentID: mustAEAD(current)}}
}

// WithKey returns a copy of k that can also open values sealed under key,
// recorded as id. Sealing keeps using k's current key, and an id k already
// has is left as it is. It panics unless key is KeySize bytes.
func (k *Keyring) WithKey(id string, key []byte) *Keyring {
	aead := mustAEAD(key)
	aeads := make(map[string]cipher.AEAD, len(k.aeads)+1)
	for kid, a := range k.aeads {
		aeads[kid] = a
	}
	if _, taken := aeads[id]; !taken {
		aeads[id] = aead
	}
	return &Keyring{currentID: k.currentID, aeads: aeads}
}

// CurrentKeyID is the id of the key Seal uses.
func (k *Keyring) CurrentKeyID() string { return k.currentID }

// Seal encrypts plaintext under the current key with a random 96-bit nonce
// read from r (crypto/rand when nil). aad names what the secret belongs to
// (for example "totp:" + user id); Open must be given the same aad, so a
// sealed value cannot be moved to another owner. The key id is bound too.
func (k *Keyring) Seal(plaintext []byte, aad string, r io.Reader) (Sealed, error) {
	if r == nil {
		r = rand.Reader
	}
	aead := k.aeads[k.currentID]
	ns := aead.NonceSize()
	out := make([]byte, ns, ns+len(plaintext)+aead.Overhead())
	if _, err := io.ReadFull(r, out); err != nil {
		return Sealed{}, fmt.Errorf("secretbox: read randomness: %w", err)
	}
	out = aead.Seal(out, out[:ns], plaintext, additionalData(k.currentID, aad))
	return Sealed{KeyID: k.currentID, Box: base64.RawURLEncoding.EncodeToString(out)}, nil
}

// Open decrypts s. It fails with ErrUnknownKey when the ring lacks s.KeyID
// and with ErrUnsealable on a wrong aad, any change to s, or a malformed box.
func (k *Keyring) Open(s Sealed, aad string) ([]byte, error) {
	aead, ok := k.aeads[s.KeyID]
	if !ok {
		return nil, ErrUnknownKey
	}
	raw, err := base64.RawURLEncoding.DecodeString(s.Box)
	ns := aead.NonceSize()
	if err != nil || len(raw) < ns+aead.Overhead() {
		return nil, ErrUnsealable
	}
	plain, err := aead.Open(nil, raw[:ns], raw[ns:], additionalData(s.KeyID, aad))
	if err != nil {
		return nil, ErrUnsealable
	}
	return plain, nil
}

// additionalData is purpose 0x00 len(keyID) keyID aad: unambiguous, so no
// two (keyID, aad) pairs give the same bytes.
func additionalData(keyID, aad string) []byte {
	b := make([]byte, 0, len(purpose)+5+len(keyID)+len(aad))
	b = append(b, purpose...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(keyID)))
	b = append(b, keyID...)
	return append(b, aad...)
}

func mustAEAD(key []byte) cipher.AEAD {
	if len(key) != KeySize {
		panic(fmt.Sprintf("secretbox: key has %d bytes, want %d", len(key), KeySize))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("secretbox: " + err.Error())
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("secretbox: " + err.Error())
	}
	return aead
}
