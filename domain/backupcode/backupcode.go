// Package backupcode generates MFA backup codes in Logto's format and keeps
// them only as keyed hashes.
//
// A code is 40 random bits, too few to survive an offline guess against a
// plain hash. Each stored hash is therefore HMAC-SHA256 under a server key
// and bound to the user id: without the key the hashes are useless, and a
// hash copied to another user does not match there.
package backupcode

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/authtrail/authtrail/domain/code"
)

const (
	// Count is the number of codes in a set.
	Count = 10
	// Length is the number of characters of a code, each from Alphabet.
	Length = 10
	// Alphabet is the character set of a code: lower-case hexadecimal.
	Alphabet = "0123456789abcdef"
	// MinKeySize is the shortest HMAC key NewHasher accepts.
	MinKeySize = code.MinKeySize
)

// maxDraws bounds Generate's retries on a duplicate code; with real
// randomness a single retry is already a one-in-ten-billion event.
const maxDraws = 4 * Count

// Generate returns Count distinct codes of Length lower-case hex characters
// drawn from r (crypto/rand when nil). Every character carries 4 uniform bits.
func Generate(r io.Reader) ([]string, error) {
	if r == nil {
		r = rand.Reader
	}
	codes := make([]string, 0, Count)
	seen := make(map[string]bool, Count)
	buf := make([]byte, Length/2)
	for draws := 0; len(codes) < Count; draws++ {
		if draws == maxDraws {
			return nil, errors.New("backupcode: random source keeps repeating codes")
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("backupcode: read randomness: %w", err)
		}
		c := hex.EncodeToString(buf)
		if seen[c] {
			continue
		}
		seen[c] = true
		codes = append(codes, c)
	}
	return codes, nil
}

// Normalize returns code as it is hashed: surrounding white space trimmed
// and letters in lower case, so "3F9A0C1B2D " is the code "3f9a0c1b2d".
func Normalize(code string) string { return strings.ToLower(strings.TrimSpace(code)) }

// wellFormed reports whether a normalised code has the shape of a code.
// It depends on the input only, so rejecting early leaks nothing stored.
func wellFormed(code string) bool {
	if len(code) != Length {
		return false
	}
	for i := 0; i < len(code); i++ {
		if strings.IndexByte(Alphabet, code[i]) < 0 {
			return false
		}
	}
	return true
}

// hashPurpose separates these digests from any other HMAC under the same key.
const hashPurpose = "authtrail backup code v1"

// Hash is what the user's backup-code factor stores for one code.
type Hash struct {
	KeyID string `json:"keyId"`
	Sum   string `json:"sum"` // base64url, unpadded HMAC-SHA256
}

// sumLen is the length of Hash.Sum.
var sumLen = base64.RawURLEncoding.EncodedLen(sha256.Size)

// Hasher computes HMAC-SHA256(key, purpose 0x00 len(userID) userID code).
// It is immutable and safe for concurrent use.
type Hasher struct {
	keys code.Keyring
}

// NewHasher returns a Hasher that hashes with key, recorded as keyID. It
// panics on a key shorter than MinKeySize: that is a configuration bug.
func NewHasher(keyID string, key []byte) *Hasher {
	return &Hasher{keys: code.NewKeyring(keyID, key)}
}

// WithRetiredKey returns a copy of h that still verifies hashes made with an
// older key, so codes issued before a key rotation stay usable. New hashes
// keep using h's current key; an id h already has is left as it is.
func (h *Hasher) WithRetiredKey(keyID string, key []byte) *Hasher {
	return &Hasher{keys: h.keys.WithRetired(keyID, key)}
}

// Hash returns the hash of code (normalised) for userID under the current key.
func (h *Hasher) Hash(userID, code string) Hash {
	id, key := h.keys.Current()
	return Hash{KeyID: id, Sum: base64.RawURLEncoding.EncodeToString(mac(key, userID, Normalize(code)))}
}

// Find returns the index in hashes of the hash of code for userID. The code
// is normalised first (trimmed, lower case). Every hash is compared in
// constant time and the loop never stops early, so the time taken does not
// tell where, or whether, the code was found. Hashes under a key id h does
// not know, or with a malformed sum, never match. Whether a matching code is
// still unused is the caller's to check.
func (h *Hasher) Find(hashes []Hash, userID, code string) (index int, ok bool) {
	code = Normalize(code)
	if !wellFormed(code) {
		return -1, false
	}
	// One MAC per key id, computed before the comparisons.
	want := map[string][]byte{}
	h.keys.Each(func(id string, key []byte) { want[id] = mac(key, userID, code) })
	index, found := -1, 0
	var stored [sha256.Size]byte
	for i, hs := range hashes {
		eq := 0
		if expected, known := want[hs.KeyID]; known && len(hs.Sum) == sumLen {
			if n, err := base64.RawURLEncoding.Decode(stored[:], []byte(hs.Sum)); err == nil && n == sha256.Size {
				eq = subtle.ConstantTimeCompare(stored[:], expected)
			}
		}
		// Keep the first match without branching on the comparison.
		take := eq &^ found
		index = subtle.ConstantTimeSelect(take, i, index)
		found |= eq
	}
	return index, found == 1
}

func mac(key []byte, userID, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(hashPurpose))
	m.Write([]byte{0})
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(userID)))
	m.Write(n[:])
	m.Write([]byte(userID))
	m.Write([]byte(code))
	return m.Sum(nil)
}
