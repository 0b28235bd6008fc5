// Package redact hides secrets in event payloads before anyone outside the
// engine sees them: the admin API, replay, the public event stream, server-
// sent events and webhooks (docs/audit.md, Redaction).
package redact

import (
	"encoding/json"
	"slices"
	"strings"
)

// Mask is what a field that held a secret shows.
const Mask = "******"

// Fields are the payload keys that hold a secret, a digest, a ciphertext
// or a key in any event: a new event naming a secret field otherwise must
// add its name here.
var Fields = []string{
	"password", "passwordDigest", "digest", "secret", "sealedCode", "codes", "hash", "tokenHash", "sum", "box",
	"publicKey", "challenge", "session", "token", "accessToken", "refreshToken", "otp", "key",
}

// IsSecret reports whether a payload key holds a secret (in any case).
func IsSecret(name string) bool {
	return slices.ContainsFunc(Fields, func(s string) bool { return strings.EqualFold(s, name) })
}

// Value replaces the value of every secret field of a decoded JSON value,
// at any depth, in place, and returns it.
func Value(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, inner := range t {
			if IsSecret(k) {
				if inner != nil {
					t[k] = Mask
				}
				continue
			}
			t[k] = Value(inner)
		}
		return t
	case []any:
		for i := range t {
			t[i] = Value(t[i])
		}
		return t
	}
	return v
}

// Payload decodes a JSON object and redacts it; a payload that is not an
// object gives an empty map.
func Payload(data []byte) map[string]any {
	var raw any
	if len(data) == 0 || json.Unmarshal(data, &raw) != nil {
		return map[string]any{}
	}
	if m, ok := Value(raw).(map[string]any); ok {
		return m
	}
	return map[string]any{}
}
