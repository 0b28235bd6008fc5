// Package code handles one-time verification codes so that the plaintext
// never rests anywhere: records keep a keyed hash, and the delivery worker
// receives the code sealed under a per-send data key that is deleted once the
// message is sent (crypto-shredding).
package code

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
)

// Digits is the length of a verification code (Logto: 6 decimal digits).
const Digits = 6

const codeSpace = 1_000_000 // 10^Digits

// rejectionLimit is the largest multiple of codeSpace that fits in a uint32;
// draws at or above it are discarded so every code is equally likely.
const rejectionLimit = (1 << 32) / codeSpace * codeSpace

// Generate returns a code of Digits decimal digits, uniform over
// 000000–999999, read from r (crypto/rand when nil).
func Generate(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var buf [4]byte
	for {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", fmt.Errorf("code: read randomness: %w", err)
		}
		if n := binary.BigEndian.Uint32(buf[:]); n < rejectionLimit {
			return fmt.Sprintf("%0*d", Digits, n%codeSpace), nil
		}
	}
}
