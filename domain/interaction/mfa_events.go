package interaction

import (
	"encoding/json"

	"github.com/authtrail/authtrail/domain/user"
)

// MFA verification record types (experience spec §2.3).
const (
	RecordTotp         = "Totp"
	RecordWebAuthn     = "WebAuthn"
	RecordBackupCode   = "BackupCode"
	RecordMfaEmailCode = "MfaEmailVerificationCode"
	RecordMfaPhoneCode = "MfaPhoneVerificationCode"
)

// TotpSecretCreated starts binding a new TOTP: a new-bind Totp record with
// the sealed secret.
type TotpSecretCreated struct {
	VerificationID string      `json:"verificationId"`
	UserID         string      `json:"userId"`
	Secret         user.Sealed `json:"secret"`
}

// TotpVerified verifies a Totp record: the new secret of a binding, or the
// user's existing TOTP (then with the factor and the step consumed).
type TotpVerified struct {
	VerificationID string `json:"verificationId"`
	UserID         string `json:"userId"`
	FactorID       string `json:"factorId,omitempty"`
}

// WebAuthnChallenged stores a ceremony's session (challenge, rpId): a
// registration or an authentication.
type WebAuthnChallenged struct {
	VerificationID string          `json:"verificationId"`
	UserID         string          `json:"userId"`
	Ceremony       string          `json:"ceremony"` // registration | authentication
	Session        json.RawMessage `json:"session"`
}

// WebAuthnRegistered verifies a registration record (a new-bind record
// carrying the credential to bind).
type WebAuthnRegistered struct {
	VerificationID string      `json:"verificationId"`
	Credential     user.Factor `json:"credential"`
}

// WebAuthnAuthenticated verifies an authentication record; its challenge
// is consumed.
type WebAuthnAuthenticated struct {
	VerificationID string `json:"verificationId"`
	FactorID       string `json:"factorId"`
}

// BackupCodesGenerated creates a BackupCode record with the keyed hashes of
// new codes; the codes themselves are only in the response.
type BackupCodesGenerated struct {
	VerificationID string          `json:"verificationId"`
	UserID         string          `json:"userId"`
	Codes          []user.CodeHash `json:"codes"`
}

// BackupCodeVerified stores a verified BackupCode record.
type BackupCodeVerified struct {
	VerificationID string `json:"verificationId"`
	UserID         string `json:"userId"`
	FactorID       string `json:"factorId"`
}

// MFAVerificationFailed is the audit trail of a failed MFA verification.
type MFAVerificationFailed struct {
	Factor string `json:"factor"`
	Reason string `json:"reason"`
}

// MFABound stages a verified factor for binding at submit (spec §1.7).
type MFABound struct {
	Type           string `json:"type"`
	VerificationID string `json:"verificationId"`
}

// MFASkipped and MFASuggestionSkipped stage the user's choices (§1.8, §1.26).
type MFASkipped struct{}
type MFASuggestionSkipped struct{}

func (TotpSecretCreated) EventType() string     { return "interaction.totp.secret_created" }
func (TotpVerified) EventType() string          { return "interaction.totp.verified" }
func (WebAuthnChallenged) EventType() string    { return "interaction.webauthn.challenged" }
func (WebAuthnRegistered) EventType() string    { return "interaction.webauthn.registered" }
func (WebAuthnAuthenticated) EventType() string { return "interaction.webauthn.authenticated" }
func (BackupCodesGenerated) EventType() string  { return "interaction.backup_codes.generated" }
func (BackupCodeVerified) EventType() string    { return "interaction.backup_code.verified" }
func (MFAVerificationFailed) EventType() string { return "interaction.mfa.verification_failed" }
func (MFAVerificationFailed) RecordsFailure()   {}
func (MFABound) EventType() string              { return "interaction.mfa.bound" }
func (MFASkipped) EventType() string            { return "interaction.mfa.skipped" }
func (MFASuggestionSkipped) EventType() string  { return "interaction.mfa.suggestion_skipped" }
