package passkeytest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Vectors from RFC 8949 Appendix A.
func TestEncodeVectors(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{int64(0), "00"},
		{int64(23), "17"},
		{int64(24), "1818"},
		{int64(100), "1864"},
		{int64(1000), "1903e8"},
		{int64(1000000), "1a000f4240"},
		{int64(1000000000000), "1b000000e8d4a51000"},
		{int64(-1), "20"},
		{int64(-1000), "3903e7"},
		{[]byte{1, 2, 3, 4}, "4401020304"},
		{"a", "6161"},
		{"IETF", "6449455446"},
		{cborMap(nil), "a0"},
		{cborMap{{int64(1), int64(2)}, {int64(3), int64(4)}}, "a201020304"},
	}
	for _, tt := range tests {
		if got := hex.EncodeToString(encode(nil, tt.in)); got != tt.want {
			t.Errorf("encode(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestCOSEKeyVerifiesAssertion(t *testing.T) {
	for range 50 { // fresh keys: coordinates with leading zero bytes must still be 32 bytes
		a := NewAuthenticator()
		key, err := webauthncose.ParsePublicKey(a.coseKey())
		if err != nil {
			t.Fatal(err)
		}
		ec, ok := key.(webauthncose.EC2PublicKeyData)
		if !ok || len(ec.XCoord) != 32 || len(ec.YCoord) != 32 || ec.Algorithm != -7 {
			t.Fatalf("COSE key %+v is not a P-256 ES256 key", key)
		}
		options := json.RawMessage(`{"challenge":"AAECAwQFBgcICQoLDA0ODw","rpId":"localhost"}`)
		var p struct {
			ID       string            `json:"id"`
			Type     string            `json:"type"`
			Response map[string]string `json:"response"`
		}
		if err := json.Unmarshal(a.Assert(options, "http://localhost"), &p); err != nil {
			t.Fatal(err)
		}
		if p.Type != "WebAuthn" || p.ID != b64(a.CredentialID()) || a.Counter() != 1 {
			t.Fatalf("payload %+v, counter %d", p, a.Counter())
		}
		authData := decode(t, p.Response["authenticatorData"])
		clientData := decode(t, p.Response["clientDataJSON"])
		rpHash := sha256.Sum256([]byte("localhost"))
		if !bytes.Equal(authData[:32], rpHash[:]) || authData[32] != flagUP|flagUV {
			t.Fatalf("authenticator data %x", authData)
		}
		clientHash := sha256.Sum256(clientData)
		ok, err = webauthncose.VerifySignature(key, append(authData, clientHash[:]...), decode(t, p.Response["signature"]))
		if err != nil || !ok {
			t.Fatalf("signature does not verify: %v", err)
		}
	}
}

func decode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
