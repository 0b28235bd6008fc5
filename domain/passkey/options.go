package passkey

import (
	"encoding/base64"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// The option types mirror what Logto (via SimpleWebAuthn) sends, field for
// field (docs/experience.md, WebAuthn), so the browser code written for Logto works
// unchanged. They are built here rather than by go-webauthn's Begin calls
// because the library's output carries other fields and algorithms.

// RegistrationOptions is Logto's registrationOptions object.
type RegistrationOptions struct {
	RP                     RPEntity               `json:"rp"`
	User                   UserEntity             `json:"user"`
	Challenge              string                 `json:"challenge"`
	PubKeyCredParams       []CredentialParameter  `json:"pubKeyCredParams"`
	Timeout                int64                  `json:"timeout"`
	Attestation            string                 `json:"attestation"`
	ExcludeCredentials     []CredentialDescriptor `json:"excludeCredentials"`
	AuthenticatorSelection AuthenticatorSelection `json:"authenticatorSelection"`
	Extensions             RegistrationExtensions `json:"extensions"`
}

// AuthenticationOptions is Logto's authenticationOptions object.
type AuthenticationOptions struct {
	Challenge        string                 `json:"challenge"`
	AllowCredentials []CredentialDescriptor `json:"allowCredentials"`
	Timeout          int64                  `json:"timeout"`
	UserVerification string                 `json:"userVerification"`
	RPID             string                 `json:"rpId"`
}

// RPEntity is options.rp.
type RPEntity struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// UserEntity is options.user.
type UserEntity struct {
	ID          string `json:"id"` // base64url
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

// CredentialParameter is one pubKeyCredParams entry (a COSE algorithm).
type CredentialParameter struct {
	Type string `json:"type"`
	Alg  int    `json:"alg"`
}

// CredentialDescriptor names a credential; transports is omitted when
// unknown, as SimpleWebAuthn does.
type CredentialDescriptor struct {
	Type       string   `json:"type"`
	ID         string   `json:"id"` // base64url
	Transports []string `json:"transports,omitempty"`
}

// AuthenticatorSelection asks for a discoverable, user-verified credential.
type AuthenticatorSelection struct {
	ResidentKey        string `json:"residentKey"`
	RequireResidentKey bool   `json:"requireResidentKey"`
	UserVerification   string `json:"userVerification"`
}

// RegistrationExtensions asks the client to report credProps.rk.
type RegistrationExtensions struct {
	CredProps bool `json:"credProps"`
}

const (
	credentialType  = string(protocol.PublicKeyCredentialType) // "public-key"
	logtoType       = "WebAuthn"
	uvRequired      = string(protocol.VerificationRequired)
	credPropsExtKey = "credProps"
)

// supportedAlgorithms are ES256 and RS256, Logto's supportedAlgorithmIDs.
var supportedAlgorithms = []CredentialParameter{
	{Type: credentialType, Alg: -7},
	{Type: credentialType, Alg: -257},
}

// libCredParams is supportedAlgorithms for go-webauthn, which checks the new
// key's algorithm against what was offered.
func libCredParams() []protocol.CredentialParameter {
	out := make([]protocol.CredentialParameter, len(supportedAlgorithms))
	for i, p := range supportedAlgorithms {
		out[i] = protocol.CredentialParameter{
			Type:      protocol.PublicKeyCredentialType,
			Algorithm: webauthncose.COSEAlgorithmIdentifier(p.Alg),
		}
	}
	return out
}

func descriptors(creds []Credential) []CredentialDescriptor {
	out := make([]CredentialDescriptor, 0, len(creds))
	for _, c := range creds {
		out = append(out, CredentialDescriptor{
			Type:       credentialType,
			ID:         CredentialIDString(c.ID),
			Transports: c.Transports,
		})
	}
	return out
}

func encodeUserID(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}
