package code

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// hashPurpose separates these digests from any other HMAC made with the same key.
const hashPurpose = "authtrail verification code v1"

// MinKeySize is the shortest HMAC key NewHasher accepts (DeriveKey yields it).
const MinKeySize = 32

// Digest is what a verification record stores instead of the code.
type Digest struct {
	KeyID string `json:"keyId"`
	Sum   string `json:"sum"` // base64url, unpadded
}

// Hasher computes HMAC-SHA256(key, purpose 0x00 bindingID 0x00 code). The
// binding (the verification record id) makes a digest useless for any other
// record; the key makes six digits unguessable offline from a stolen store.
type Hasher struct {
	keys Keyring
}

// NewHasher returns a Hasher that hashes with key, recorded as keyID. It
// panics on a key shorter than MinKeySize: that is a configuration bug.
func NewHasher(keyID string, key []byte) *Hasher {
	return &Hasher{keys: NewKeyring(keyID, key)}
}

// WithRetiredKey returns a copy of h that still verifies digests made with an
// older key, so codes issued before a rotation stay usable until they expire.
func (h *Hasher) WithRetiredKey(keyID string, key []byte) *Hasher {
	return &Hasher{keys: h.keys.WithRetired(keyID, key)}
}

// Hash returns the digest of code bound to bindingID under the current key.
func (h *Hasher) Hash(bindingID, code string) Digest {
	id, key := h.keys.Current()
	return Digest{KeyID: id, Sum: base64.RawURLEncoding.EncodeToString(mac(key, bindingID, code))}
}

// Matches reports, in constant time over the code, whether code bound to
// bindingID produced d. A digest under an unknown key id never matches.
func (h *Hasher) Matches(d Digest, bindingID, code string) bool {
	key, ok := h.keys.Key(d.KeyID)
	if !ok {
		return false
	}
	stored, err := base64.RawURLEncoding.DecodeString(d.Sum)
	if err != nil {
		return false
	}
	return hmac.Equal(stored, mac(key, bindingID, code))
}

func mac(key []byte, bindingID, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(hashPurpose))
	m.Write([]byte{0})
	m.Write([]byte(bindingID))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}
