// Package totp implements the TOTP factor (RFC 6238) as Logto configures it:
// SHA-1, 6 digits, 30-second steps and a window of one step either side.
// Time and randomness are injected, so the package does no I/O of its own.
//
// Replay protection is the caller's: Match returns the time step that
// matched, and the caller accepts it only when it is greater than the last
// step it recorded for the factor (RFC 6238 §5.2).
package totp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

const (
	// Period is the length of a time step in seconds.
	Period = 30
	// Digits is the length of a code.
	Digits = 6
	// Skew is how many steps before and after the current one are accepted.
	Skew = 1
	// SecretSize is the number of random bytes in a new secret (160 bits,
	// the size RFC 4226 §4 recommends and Logto uses).
	SecretSize = 20
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// opts are the code parameters handed to pquerna/otp.
var opts = totp.ValidateOpts{
	Period:    Period,
	Skew:      Skew,
	Digits:    otp.DigitsSix,
	Algorithm: otp.AlgorithmSHA1,
}

// NewSecret returns SecretSize random bytes read from r (crypto/rand when
// nil) as unpadded upper-case base32: 32 characters.
func NewSecret(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	raw := make([]byte, SecretSize)
	if _, err := io.ReadFull(r, raw); err != nil {
		return "", fmt.Errorf("totp: read randomness: %w", err)
	}
	return b32.EncodeToString(raw), nil
}

// secretPattern is RFC 4648 base32 in upper case with optional padding.
var secretPattern = regexp.MustCompile(`^(?:[2-7A-Z]{8})*(?:[2-7A-Z]{2}={6}|[2-7A-Z]{4}={4}|[2-7A-Z]{5}={3}|[2-7A-Z]{7}=)?$`)

// ValidSecret reports whether s is acceptable as an imported secret: upper
// case base32 (padding optional) of 16 to 32 characters, the rule Logto
// applies to secrets supplied through its Management API.
func ValidSecret(s string) bool {
	return len(s) >= 16 && len(s) <= 32 && secretPattern.MatchString(s)
}

// decodeSecret decodes a base32 secret, tolerating lower case, surrounding
// spaces and padding as authenticator apps and pquerna/otp do.
func decodeSecret(secret string) ([]byte, bool) {
	s := strings.TrimRight(strings.ToUpper(strings.TrimSpace(secret)), "=")
	raw, err := b32.DecodeString(s)
	if err != nil || len(raw) == 0 {
		return nil, false
	}
	return raw, true
}

// URI returns the otpauth://totp/ key URI for secret, labelled
// "issuer:account", with the issuer, SHA1, 6 digits and a 30 s period as
// parameters. pquerna/otp builds it when the secret decodes and both names
// are present; otherwise it is assembled with net/url the same way, leaving
// out an empty issuer.
func URI(issuer, account, secret string) string {
	if raw, ok := decodeSecret(secret); ok && issuer != "" && account != "" {
		key, err := totp.Generate(totp.GenerateOpts{
			Issuer:      issuer,
			AccountName: account,
			Period:      Period,
			Secret:      raw,
			Digits:      otp.DigitsSix,
			Algorithm:   otp.AlgorithmSHA1,
		})
		if err == nil {
			return key.String()
		}
	}
	v := url.Values{}
	v.Set("secret", secret)
	label := account
	if issuer != "" {
		v.Set("issuer", issuer)
		label = issuer + ":" + account
	}
	v.Set("period", fmt.Sprint(Period))
	v.Set("algorithm", "SHA1")
	v.Set("digits", fmt.Sprint(Digits))
	u := url.URL{
		Scheme: "otpauth",
		Host:   "totp",
		Path:   "/" + label,
		// Authenticator apps expect %20, not +, for spaces; Encode escapes a
		// literal + as %2B, so every + left stands for a space.
		RawQuery: strings.ReplaceAll(v.Encode(), "+", "%20"),
	}
	return u.String()
}

// Step is the RFC 6238 time step of t: floor(unix seconds / Period). Times
// before 1970 are step 0.
func Step(t time.Time) uint64 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	return uint64(s) / Period
}

// stepTime is the first instant of step.
func stepTime(step uint64) time.Time { return time.Unix(int64(step*Period), 0) }

// Code returns the code of the step that contains t.
func Code(secret string, t time.Time) (string, error) {
	return codeAt(secret, Step(t))
}

func codeAt(secret string, step uint64) (string, error) {
	return totp.GenerateCodeCustom(secret, stepTime(step), opts)
}

// Match reports whether code is the code of secret for the step of now or
// one of the Skew steps on either side, and returns that step. Every
// candidate is computed and compared in constant time, with no early exit.
// Should a code be valid for two candidate steps (a one-in-a-million
// coincidence), the later step is returned, so that recording it as the last
// used step also rejects the code's reuse in the later step.
//
// The code must be exactly Digits ASCII digits; anything else (including
// surrounding spaces) does not match, nor does a secret that is not base32.
func Match(secret, code string, now time.Time) (step uint64, ok bool) {
	if !wellFormed(code) {
		return 0, false
	}
	cur := Step(now)
	lo := cur - min(cur, Skew)
	found := 0
	for s := lo; s <= cur+Skew; s++ {
		want, err := codeAt(secret, s)
		if err != nil {
			return 0, false
		}
		eq := subtle.ConstantTimeCompare([]byte(want), []byte(code))
		// Branch-free select: step becomes s when eq is 1.
		mask := -uint64(eq)
		step = step&^mask | s&mask
		found |= eq
	}
	if found == 0 {
		return 0, false
	}
	return step, true
}

func wellFormed(code string) bool {
	if len(code) != Digits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}
