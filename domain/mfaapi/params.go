package mfaapi

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Seconds limits of expires_in.
const (
	DefaultExpiresIn  = 120
	MinExpiresIn      = 120
	MaxExpiresIn      = 900
	DefaultTokenLife  = 259200
	MaxTokenLife      = 259200
	MinTokenLife      = 120
	TempTokenDigits   = 8
	TotpDigits        = 6
	absentJSONLiteral = "null"
)

// absent reports a field that was omitted or null.
func absent(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == absentJSONLiteral
}

// ParseInt reads a JSON integer or a string of decimal digits (the SDKs
// disagree on the type, docs/onelogin-api.md, Conventions). ok is false for anything else;
// present is false when the field is omitted or null.
func ParseInt(raw json.RawMessage) (n int64, present, ok bool) {
	if absent(raw) {
		return 0, false, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		s = string(bytes.TrimSpace(raw))
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, true, err == nil
}

// ParseSeconds reads expires_in: def when absent, else an integer in
// [lo, hi].
func ParseSeconds(raw json.RawMessage, def, lo, hi int64) (int64, bool) {
	n, present, ok := ParseInt(raw)
	if !present {
		return def, true
	}
	return n, ok && n >= lo && n <= hi
}

// OTP is a submitted code. A JSON number loses its leading zeros (docs/onelogin-api.md,
// Conventions), so Padded restores them for a code of a given length.
type OTP struct {
	Text   string
	Number bool
}

// ParseOTP reads an otp given as a non-negative JSON integer or a string.
func ParseOTP(raw json.RawMessage) (OTP, bool) {
	if absent(raw) {
		return OTP{}, false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		s = strings.TrimSpace(s)
		return OTP{Text: s}, s != ""
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return OTP{}, false
	}
	v, err := strconv.ParseUint(n.String(), 10, 64)
	if err != nil {
		return OTP{}, false
	}
	return OTP{Text: strconv.FormatUint(v, 10), Number: true}, true
}

// Padded is the code left-padded with zeros to digits when it came as a
// number; a string is taken as it is.
func (o OTP) Padded(digits int) string {
	if o.Number && len(o.Text) < digits {
		return strings.Repeat("0", digits-len(o.Text)) + o.Text
	}
	return o.Text
}

// ParseDeviceID reads a device id given as an integer or a string.
func ParseDeviceID(raw json.RawMessage) (string, bool) {
	if absent(raw) {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		s = strings.TrimSpace(s)
		return s, s != ""
	}
	n, _, ok := ParseInt(raw)
	if !ok || n < 0 {
		return "", false
	}
	return strconv.FormatInt(n, 10), true
}

// NewTempToken draws an 8-digit temporary token from r, uniformly.
func NewTempToken(r io.Reader) (string, error) {
	const space = 100_000_000
	const limit = (1 << 64) / space * space // reject above to stay uniform
	var b [8]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("mfaapi: read randomness: %w", err)
		}
		if v := binary.BigEndian.Uint64(b[:]); v < limit {
			return fmt.Sprintf("%08d", v%space), nil
		}
	}
}

// NewUUID draws a version 4 UUID from r.
func NewUUID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("mfaapi: read randomness: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// IsUUID reports whether s has the shape of a lower-case UUID (a valid
// subject token, so a path value can name an aggregate).
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}
