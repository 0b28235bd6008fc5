// Package passkeytest is a software WebAuthn authenticator for tests. It
// answers Logto-shaped options with Logto-shaped payloads carrying real
// CBOR attestation objects and real ES256 (P-256, SHA-256) signatures, so
// the relying party's verification runs unmodified.
//
// It stands in for both the browser (clientDataJSON) and the authenticator
// (authenticatorData, signatures). Malformed options make it panic: it is a
// test helper and a bad fixture is a bug in the test.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"sync"
)

// Authenticator holds one ES256 credential. The exported fields are knobs
// for negative tests; set them before calling Register or Assert.
type Authenticator struct {
	// RPID, when set, is the rpId signed for instead of the one in the
	// options (to test rpIdHash checks).
	RPID string
	// UserNotVerified clears the UV flag; UserNotPresent clears UP.
	UserNotVerified bool
	UserNotPresent  bool
	// BackupEligible and BackupState set the BE and BS flags.
	BackupEligible bool
	BackupState    bool
	// Transports reported at registration; nil means ["internal"].
	Transports []string
	// PackedAttestation makes Register send a "packed" self-attestation
	// (signed with the credential key) instead of "none".
	PackedAttestation bool
	// Challenge, when set, replaces the options' challenge in clientDataJSON.
	Challenge string
	// Type is the payload's type member; empty means "WebAuthn".
	Type string

	mu         sync.Mutex
	key        *ecdsa.PrivateKey
	id         []byte
	aaguid     [16]byte
	counter    uint32
	userHandle []byte
}

// NewAuthenticator makes an authenticator with a fresh P-256 key, a random
// 32-byte credential id and a random AAGUID.
func NewAuthenticator() *Authenticator {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic("passkeytest: generate key: " + err.Error())
	}
	a := &Authenticator{key: key, id: make([]byte, 32)}
	_, _ = rand.Read(a.id)
	_, _ = rand.Read(a.aaguid[:])
	return a
}

// CredentialID is the raw credential id.
func (a *Authenticator) CredentialID() []byte {
	return append([]byte(nil), a.id...)
}

// AAGUID is the authenticator model id reported at registration.
func (a *Authenticator) AAGUID() []byte { return append([]byte(nil), a.aaguid[:]...) }

// SetCounter sets the signature counter; Assert increments it before
// signing, so SetCounter(n) makes the next assertion report n+1.
func (a *Authenticator) SetCounter(n uint32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.counter = n
}

// Counter is the last counter value signed.
func (a *Authenticator) Counter() uint32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.counter
}

// SetUserHandle sets the userHandle sent with assertions (Register sets it
// to the options' user.id). nil omits it.
func (a *Authenticator) SetUserHandle(h []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.userHandle = append([]byte(nil), h...)
}

type registrationOptions struct {
	Challenge string `json:"challenge"`
	RP        struct {
		ID string `json:"id"`
	} `json:"rp"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
}

type authenticationOptions struct {
	Challenge string `json:"challenge"`
	RPID      string `json:"rpId"`
}

// Register answers registration options as navigator.credentials.create
// would, from origin. It does not honour excludeCredentials, so tests can
// register the same authenticator twice.
func (a *Authenticator) Register(options json.RawMessage, origin string) json.RawMessage {
	var opts registrationOptions
	mustUnmarshal(options, &opts)
	userHandle, err := base64.RawURLEncoding.DecodeString(opts.User.ID)
	if err != nil {
		panic("passkeytest: user.id is not base64url: " + err.Error())
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	a.userHandle = userHandle
	clientData := a.clientData("webauthn.create", opts.Challenge, origin)
	authData := a.authData(a.rpID(opts.RP.ID), true)
	attestation := attestationObject{Format: "none", Statement: map[string]any{}, AuthData: authData}
	if a.PackedAttestation {
		attestation.Format = "packed"
		attestation.Statement = map[string]any{"alg": int64(-7), "sig": a.sign(authData, clientData)}
	}
	transports := a.Transports
	if transports == nil {
		transports = []string{"internal"}
	}
	return a.payload(map[string]any{
		"clientDataJSON":    b64(clientData),
		"attestationObject": b64(mustCBOR(attestation)),
		"transports":        transports,
	})
}

// Assert answers authentication options as navigator.credentials.get
// would, from origin, after incrementing the counter. It ignores
// allowCredentials, so tests can present a credential the RP does not know.
func (a *Authenticator) Assert(options json.RawMessage, origin string) json.RawMessage {
	var opts authenticationOptions
	mustUnmarshal(options, &opts)

	a.mu.Lock()
	defer a.mu.Unlock()
	a.counter++
	clientData := a.clientData("webauthn.get", opts.Challenge, origin)
	authData := a.authData(a.rpID(opts.RPID), false)
	response := map[string]any{
		"clientDataJSON":    b64(clientData),
		"authenticatorData": b64(authData),
		"signature":         b64(a.sign(authData, clientData)),
	}
	if a.userHandle != nil {
		response["userHandle"] = b64(a.userHandle)
	}
	return a.payload(response)
}

func (a *Authenticator) rpID(fromOptions string) string {
	if a.RPID != "" {
		return a.RPID
	}
	return fromOptions
}

func (a *Authenticator) clientData(ceremony, challenge, origin string) []byte {
	if a.Challenge != "" {
		challenge = a.Challenge
	}
	// Field order matches what browsers emit; the RP must not depend on it.
	data, err := json.Marshal(struct {
		Type        string `json:"type"`
		Challenge   string `json:"challenge"`
		Origin      string `json:"origin"`
		CrossOrigin bool   `json:"crossOrigin"`
	}{ceremony, challenge, origin, false})
	if err != nil {
		panic(err)
	}
	return data
}

// Authenticator data flag bits (W3C §6.1).
const (
	flagUP = 1 << 0
	flagUV = 1 << 2
	flagBE = 1 << 3
	flagBS = 1 << 4
	flagAT = 1 << 6
)

// authData lays out rpIdHash | flags | counter, plus the attested
// credential data (AAGUID, id length, id, COSE key) at registration.
func (a *Authenticator) authData(rpID string, attested bool) []byte {
	var flags byte
	for bit, on := range map[byte]bool{
		flagUP: !a.UserNotPresent, flagUV: !a.UserNotVerified,
		flagBE: a.BackupEligible, flagBS: a.BackupState, flagAT: attested,
	} {
		if on {
			flags |= bit
		}
	}
	hash := sha256.Sum256([]byte(rpID))
	out := append(hash[:], flags)
	out = binary.BigEndian.AppendUint32(out, a.counter)
	if attested {
		out = append(out, a.aaguid[:]...)
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.id)))
		out = append(out, a.id...)
		out = append(out, a.coseKey()...)
	}
	return out
}

// sign is the assertion (and packed attestation) signature: ECDSA over
// SHA-256(authData || SHA-256(clientDataJSON)), ASN.1 DER encoded.
func (a *Authenticator) sign(authData, clientData []byte) []byte {
	clientHash := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(append([]byte(nil), authData...), clientHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		panic("passkeytest: sign: " + err.Error())
	}
	return sig
}

func (a *Authenticator) payload(response map[string]any) json.RawMessage {
	typ := a.Type
	if typ == "" {
		typ = "WebAuthn"
	}
	id := b64(a.id)
	out, err := json.Marshal(map[string]any{
		"id":                      id,
		"rawId":                   id,
		"type":                    typ,
		"response":                response,
		"authenticatorAttachment": "platform",
		"clientExtensionResults":  map[string]any{},
	})
	if err != nil {
		panic(err)
	}
	return out
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustUnmarshal(raw json.RawMessage, v any) {
	if err := json.Unmarshal(raw, v); err != nil {
		panic("passkeytest: options are not valid JSON: " + err.Error())
	}
}
