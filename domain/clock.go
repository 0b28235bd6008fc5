package domain

import (
	"crypto/rand"
	"io"
	"time"
)

// Clock tells the time; tests inject a fixed or stepping one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now().UTC() }

// FixedClock is a clock for tests that only moves when told to.
type FixedClock struct{ T time.Time }

func (c *FixedClock) Now() time.Time          { return c.T }
func (c *FixedClock) Advance(d time.Duration) { c.T = c.T.Add(d) }

// IDs generates the 21-character lowercase alphanumeric identifiers that
// Logto calls "standard IDs" (verification records, interactions, events).
type IDs interface {
	NewID() string
}

// RandomIDs draws identifiers from a random source (crypto/rand by default).
type RandomIDs struct{ Rand io.Reader }

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// IDLength is the length of a standard ID.
const IDLength = 21

func (g RandomIDs) NewID() string {
	src := g.Rand
	if src == nil {
		src = rand.Reader
	}
	var out [IDLength]byte
	var buf [32]byte
	n := 0
	for n < IDLength {
		if _, err := io.ReadFull(src, buf[:]); err != nil {
			panic("domain: random source failed: " + err.Error())
		}
		for _, b := range buf {
			// 252 is the largest multiple of 36 below 256: rejecting the rest keeps the draw uniform.
			if b >= 252 {
				continue
			}
			out[n] = idAlphabet[b%36]
			n++
			if n == IDLength {
				break
			}
		}
	}
	return string(out[:])
}

// IsID reports whether s has the shape of a standard ID.
func IsID(s string) bool {
	if len(s) != IDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}
