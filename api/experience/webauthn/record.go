package webauthn

import (
	"encoding/json"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/user"
)

// RecordType is the wire type of the method's record.
const RecordType = "WebAuthn"

// AMR: an authentication with a key held by an authenticator (RFC 8176
// hwk); registering a new key authenticates no one.
func (r Record) AMR() string {
	if r.Ceremony != CeremonyAuthentication {
		return ""
	}
	return "hwk"
}

// Ceremonies of a WebAuthn record.
const (
	CeremonyRegistration   = "registration"
	CeremonyAuthentication = "authentication"
)

// Record is a WebAuthn ceremony of the identified user: its session until
// the assertion or attestation consumes it, then the credential to bind
// (registration) or the factor it proved (authentication).
type Record struct {
	interaction.RecordBase
	Ceremony   string
	Session    json.RawMessage
	Credential *user.Factor
	FactorID   string
}

var (
	_ interaction.MFAProof = Record{}
	_ interaction.Bindable = Record{}
)

// ProvesFactor: an authentication proves the user's WebAuthn factor.
func (r Record) ProvesFactor() string {
	if r.Credential == nil && r.FactorID != "" {
		return user.FactorWebAuthn
	}
	return ""
}

// StageBinding stages the registered credential.
func (r Record) StageBinding(s *interaction.State) {
	if r.Credential != nil {
		s.MFA.StageFactor(*r.Credential)
	}
}

// Challenged stores a ceremony's session (challenge, rpId): a registration
// or an authentication.
type Challenged struct {
	VerificationID string          `json:"verificationId"`
	UserID         string          `json:"userId"`
	Ceremony       string          `json:"ceremony"` // registration | authentication
	Session        json.RawMessage `json:"session"`
}

// Registered verifies a registration record, which then carries the
// credential to bind.
type Registered struct {
	VerificationID string      `json:"verificationId"`
	Credential     user.Factor `json:"credential"`
}

// Authenticated verifies an authentication record; its challenge is
// consumed.
type Authenticated struct {
	VerificationID string `json:"verificationId"`
	FactorID       string `json:"factorId"`
}

func (Challenged) EventType() string    { return "interaction.webauthn.challenged" }
func (Registered) EventType() string    { return "interaction.webauthn.registered" }
func (Authenticated) EventType() string { return "interaction.webauthn.authenticated" }

// ApplyTo puts the ceremony's record.
func (e *Challenged) ApplyTo(s *interaction.State) {
	s.PutRecord(Record{RecordBase: interaction.RecordBase{ID: e.VerificationID, Type: RecordType, UserID: e.UserID},
		Ceremony: e.Ceremony, Session: e.Session})
}

// ApplyTo verifies the record with its credential; the session is consumed.
func (e *Registered) ApplyTo(s *interaction.State) {
	cred := e.Credential
	interaction.UpdateRecordOf(s, e.VerificationID, func(r *Record) { r.Verified, r.Credential, r.Session = true, &cred, nil })
}

// ApplyTo verifies the record with the factor it proved; the session is
// consumed.
func (e *Authenticated) ApplyTo(s *interaction.State) {
	interaction.UpdateRecordOf(s, e.VerificationID, func(r *Record) { r.Verified, r.FactorID, r.Session = true, e.FactorID, nil })
}

// Events decodes the method's events.
var Events = domain.Registry{
	"interaction.webauthn.challenged":    func() domain.Event { return &Challenged{} },
	"interaction.webauthn.registered":    func() domain.Event { return &Registered{} },
	"interaction.webauthn.authenticated": func() domain.Event { return &Authenticated{} },
}
