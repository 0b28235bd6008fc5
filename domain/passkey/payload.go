package passkey

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// toW3C rewrites a Logto-shaped credential (docs/experience.md, decision 15) into the W3C
// PublicKeyCredential JSON go-webauthn parses. Only "type" differs: Logto's
// "WebAuthn" becomes "public-key"; "public-key" itself is accepted too, so
// a client that sends the standard shape is not turned away. The binary
// fields are already base64url in both shapes.
func toW3C(payload json.RawMessage) ([]byte, error) {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, verificationFailed("payload must be a JSON object")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return nil, verificationFailed("payload is not valid JSON: " + err.Error())
	}
	var typ string
	if raw, ok := fields["type"]; ok {
		if err := json.Unmarshal(raw, &typ); err != nil {
			return nil, verificationFailed("payload type must be a string")
		}
	}
	switch typ {
	case logtoType, credentialType:
	default:
		return nil, verificationFailed(fmt.Sprintf("payload type must be %q, got %q", logtoType, typ))
	}
	fields["type"] = json.RawMessage(`"` + credentialType + `"`)
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, verificationFailed("payload could not be re-encoded: " + err.Error())
	}
	return out, nil
}
