// Package passkey runs WebAuthn ceremonies for the Experience API
// (docs/experience.md, WebAuthn). It is pure: options and a Session come out of a
// Begin call, the caller stores the Session in its events, and the matching
// Finish call verifies the browser's payload against it with go-webauthn.
//
// Payloads arrive in Logto's shape (docs/experience.md, decision 15): the
// credential type is
// "WebAuthn" and binary fields are base64url strings.
package passkey

import (
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// SessionTTL bounds how long a Begin result may be finished. W3C recommends
// about the ceremony timeout; five minutes leaves room for slow users while
// keeping a leaked challenge short-lived.
const SessionTTL = 5 * time.Minute

// DefaultTimeout is the timeout Logto puts in its options (60 000 ms).
const DefaultTimeout = 60 * time.Second

// UnnamedUser is Logto's fallback for user.name and user.displayName.
const UnnamedUser = "Unnamed User"

// Config describes the relying party. Logto derives RPID and RPName from
// the request hostname, so callers typically build one RP per host.
type Config struct {
	RPID   string
	RPName string // defaults to RPID, as in Logto
	// Origins clientDataJSON may carry, e.g. "https://auth.example.com".
	// go-webauthn compares scheme and host case-insensitively, else exactly.
	Origins []string
	Timeout time.Duration
}

// User is the account a ceremony is for. Name and DisplayName are chosen by
// the caller (docs/experience.md, WebAuthn); empty ones fall back to UnnamedUser.
type User struct {
	ID          string // user.id on the wire is base64url([]byte(ID))
	Name        string
	DisplayName string
}

// Credential is what the caller stores per registered authenticator.
type Credential struct {
	ID              []byte   `json:"id"`
	PublicKey       []byte   `json:"publicKey"` // COSE key
	SignCount       uint32   `json:"signCount"`
	Transports      []string `json:"transports,omitempty"`
	AAGUID          []byte   `json:"aaguid,omitempty"`
	AttestationType string   `json:"attestationType,omitempty"`
	BackupEligible  bool     `json:"backupEligible"`
	BackupState     bool     `json:"backupState"`
}

// Session is the state kept between Begin and Finish. It holds no secret
// beyond the single-use challenge, so it may live in an event.
type Session struct {
	Challenge            string    `json:"challenge"`
	UserID               string    `json:"userId"`
	RPID                 string    `json:"rpId"`
	AllowedCredentialIDs [][]byte  `json:"allowedCredentialIds,omitempty"`
	Expires              time.Time `json:"expires"`
	UserVerification     string    `json:"userVerification"`
}

// RP is a configured relying party. It is safe for concurrent use.
type RP struct {
	cfg Config
	lib *webauthn.WebAuthn
}

// New validates cfg and prepares the go-webauthn verifier.
func New(cfg Config) (*RP, error) {
	if cfg.RPID == "" {
		return nil, errors.New("passkey: RPID is required")
	}
	if err := protocol.ValidateRPID(cfg.RPID); err != nil {
		return nil, fmt.Errorf("passkey: RPID %q: %w", cfg.RPID, err)
	}
	if len(cfg.Origins) == 0 {
		return nil, errors.New("passkey: at least one origin is required")
	}
	if cfg.RPName == "" {
		cfg.RPName = cfg.RPID
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	cfg.Origins = append([]string(nil), cfg.Origins...)
	lib, err := webauthn.New(&webauthn.Config{
		RPID:          cfg.RPID,
		RPDisplayName: cfg.RPName,
		RPOrigins:     cfg.Origins,
		// Logto does not check extension outputs, and browsers or password
		// managers sometimes add ones nobody asked for; rejecting those
		// would fail genuine ceremonies for no security gain.
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore,
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return &RP{cfg: cfg, lib: lib}, nil
}

// Config returns the effective configuration, defaults applied.
func (rp *RP) Config() Config {
	c := rp.cfg
	c.Origins = append([]string(nil), c.Origins...)
	return c
}

// CredentialIDString is the base64url form of a credential id, as it
// appears on the wire and as a uniqueness key.
func CredentialIDString(id []byte) string {
	return base64.RawURLEncoding.EncodeToString(id)
}

// checkSession rejects sessions that are expired or were begun by another
// relying party. A zero Expires counts as expired so that a malformed
// session can never be finished.
func (rp *RP) checkSession(s Session, now time.Time) error {
	if s.Expires.IsZero() || now.After(s.Expires) {
		return ErrExpired
	}
	if s.Challenge == "" {
		return verificationFailed("session has no challenge")
	}
	if s.RPID != rp.cfg.RPID {
		return verificationFailed(fmt.Sprintf("session was begun for rpId %q, not %q", s.RPID, rp.cfg.RPID))
	}
	return nil
}

// libUser adapts a user and their credentials to go-webauthn.
type libUser struct {
	id    []byte
	name  string
	creds []webauthn.Credential
}

func (u libUser) WebAuthnID() []byte                         { return u.id }
func (u libUser) WebAuthnName() string                       { return u.name }
func (u libUser) WebAuthnDisplayName() string                { return u.name }
func (u libUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func toLibCredential(c Credential) webauthn.Credential {
	transports := make([]protocol.AuthenticatorTransport, len(c.Transports))
	for i, t := range c.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID:              c.ID,
		PublicKey:       c.PublicKey,
		AttestationType: c.AttestationType,
		Transport:       transports,
		Flags: webauthn.CredentialFlags{
			UserPresent:    true,
			BackupEligible: c.BackupEligible,
			BackupState:    c.BackupState,
		},
		Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount},
	}
}

func fromLibCredential(c *webauthn.Credential) Credential {
	out := Credential{
		ID:              c.ID,
		PublicKey:       c.PublicKey,
		SignCount:       c.Authenticator.SignCount,
		AAGUID:          c.Authenticator.AAGUID,
		AttestationType: c.AttestationType,
		BackupEligible:  c.Flags.BackupEligible,
		BackupState:     c.Flags.BackupState,
	}
	for _, t := range c.Transport {
		out.Transports = append(out.Transports, string(t))
	}
	return out
}

// userDisplay applies Logto's fallback for empty names.
func userDisplay(u User) (name, displayName string) {
	name, displayName = u.Name, u.DisplayName
	if name == "" {
		name = UnnamedUser
	}
	if displayName == "" {
		displayName = UnnamedUser
	}
	return name, displayName
}

// checkUserID enforces the WebAuthn bound on user handles (1–64 bytes).
func checkUserID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("passkey: user id must be 1–64 bytes, got %d", len(id))
	}
	return nil
}
