package user

import (
	"slices"
	"time"

	"github.com/authtrail/authtrail/domain"
)

// MFA factor types (docs/experience.md, MFA factors).
const (
	FactorTotp       = "Totp"
	FactorWebAuthn   = "WebAuthn"
	FactorBackupCode = "BackupCode"
	FactorEmail      = "EmailVerificationCode"
	FactorPhone      = "PhoneVerificationCode"
)

// Sealed is a secret encrypted for the event log (domain/secretbox's shape).
type Sealed struct {
	KeyID string `json:"keyId"`
	Box   string `json:"box"`
}

// CodeHash is a keyed hash of a backup code (domain/backupcode's shape).
type CodeHash struct {
	KeyID string `json:"keyId"`
	Sum   string `json:"sum"`
}

// BackupCode is one stored backup code.
type BackupCode struct {
	Hash   CodeHash   `json:"hash"`
	UsedAt *time.Time `json:"usedAt,omitempty"`
}

// Factor is a stored MFA factor (Logto's mfaVerifications entry). Secrets
// are sealed or hashed; the fields of the other types are empty.
type Factor struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	CreatedAt  time.Time `json:"createdAt"`
	LastUsedAt time.Time `json:"lastUsedAt,omitzero"`
	// LastUse is the use id of the claim that last used the factor
	// (domain.Claim), so the request that claimed it knows its own claim.
	LastUse string `json:"lastUse,omitempty"`
	// Totp
	Secret   *Sealed `json:"secret,omitempty"`
	LastStep uint64  `json:"lastStep,omitempty"`
	// WebAuthn
	CredentialID string   `json:"credentialId,omitempty"`
	PublicKey    []byte   `json:"publicKey,omitempty"`
	SignCount    uint32   `json:"signCount,omitempty"`
	Transports   []string `json:"transports,omitempty"`
	AAGUID       []byte   `json:"aaguid,omitempty"`
	RPID         string   `json:"rpId,omitempty"`
	Agent        string   `json:"agent,omitempty"`
	Name         string   `json:"name,omitempty"`
	// BackupCode
	Codes []BackupCode `json:"codes,omitempty"`
	// Email, Phone: an explicit factor of the MFA API records the address
	// or number its codes go to (the Experience API's are implicit: the
	// profile's).
	Destination string `json:"destination,omitempty"`
}

// UnusedCodes counts a backup-code factor's unused codes.
func (f Factor) UnusedCodes() int {
	n := 0
	for _, c := range f.Codes {
		if c.UsedAt == nil {
			n++
		}
	}
	return n
}

// MFAFactorAdded binds a factor; a backup-code factor replaces the previous one.
type MFAFactorAdded struct {
	Factor        Factor `json:"factor"`
	InteractionID string `json:"interactionId,omitempty"`
	Source        string `json:"source,omitempty"` // experience | mfa-api
}

// MFAFactorRemoved unbinds a factor.
type MFAFactorRemoved struct {
	FactorID string `json:"factorId"`
	Source   string `json:"source,omitempty"`
}

// TotpStepUsed records an accepted TOTP step; a later code must have a
// greater step (RFC 6238 §5.2), so a code never works twice. UseID, in
// each of these use events, is the id of the request's verification
// record (the Experience API's claims; empty from the MFA API).
type TotpStepUsed struct {
	FactorID string    `json:"factorId"`
	Step     uint64    `json:"step"`
	At       time.Time `json:"at"`
	UseID    string    `json:"useId,omitempty"`
	// In is the interaction the use verifies, when it is recorded on the
	// user alone (Use); empty from the MFA API.
	In *UseIn `json:"interaction,omitempty"`
}

// WebAuthnUsed records an assertion: the new sign counter and last use.
type WebAuthnUsed struct {
	FactorID  string    `json:"factorId"`
	SignCount uint32    `json:"signCount"`
	At        time.Time `json:"at"`
	UseID     string    `json:"useId,omitempty"`
	// In and VerificationID are the interaction the assertion verifies
	// and its record (the challenge answered), when the use is recorded on
	// the user alone (Use); empty from the MFA API.
	In             *UseIn `json:"interaction,omitempty"`
	VerificationID string `json:"verificationId,omitempty"`
}

// WebAuthnCounterRegressed is a risk signal: the authenticator's counter
// went backwards (a possible clone). The assertion itself was accepted.
type WebAuthnCounterRegressed struct {
	FactorID string    `json:"factorId"`
	Stored   uint32    `json:"stored"`
	Received uint32    `json:"received"`
	At       time.Time `json:"at"`
	UseID    string    `json:"useId,omitempty"`
}

// BackupCodeUsed consumes one backup code.
type BackupCodeUsed struct {
	FactorID string    `json:"factorId"`
	Index    int       `json:"index"`
	At       time.Time `json:"at"`
	UseID    string    `json:"useId,omitempty"`
	In       *UseIn    `json:"interaction,omitempty"`
}

// The use events are claims (domain.Claim): the Experience API commits
// them ahead of the interaction's verification.
func (e TotpStepUsed) ClaimedBy() string             { return e.UseID }
func (e WebAuthnUsed) ClaimedBy() string             { return e.UseID }
func (e WebAuthnCounterRegressed) ClaimedBy() string { return e.UseID }
func (e BackupCodeUsed) ClaimedBy() string           { return e.UseID }

// ClaimedBy reports whether the factor's last use was the claim of useID:
// the request deciding again after its claim committed.
func (f Factor) ClaimedBy(useID string) bool { return useID != "" && f.LastUse == useID }

func (MFAFactorAdded) EventType() string           { return "user.mfa.factor_added" }
func (MFAFactorRemoved) EventType() string         { return "user.mfa.factor_removed" }
func (TotpStepUsed) EventType() string             { return "user.mfa.totp_used" }
func (WebAuthnUsed) EventType() string             { return "user.mfa.webauthn_used" }
func (WebAuthnCounterRegressed) EventType() string { return "user.mfa.webauthn_counter_regressed" }
func (BackupCodeUsed) EventType() string           { return "user.mfa.backup_code_used" }

// applyMFA evolves the factors; it reports whether it handled ev.
func (s *State) applyMFA(ev domain.Event) bool {
	switch e := ev.(type) {
	case *TempTokenIssued:
		s.TempToken = TempToken{TokenID: e.TokenID, Hash: e.Hash, Reusable: e.Reusable, ExpiresAt: e.ExpiresAt}
	case *TempTokenUsed:
		if e.TokenID == s.TempToken.TokenID {
			s.TempToken.Used, s.TempToken.UsedBy = true, e.UseID
		}
	case *MFAFactorAdded:
		if e.Factor.Type == FactorBackupCode {
			s.Factors = slices.DeleteFunc(s.Factors, func(f Factor) bool { return f.Type == FactorBackupCode })
		}
		s.Factors = append(slices.Clone(s.Factors), e.Factor)
	case *MFAFactorRemoved:
		s.Factors = slices.DeleteFunc(slices.Clone(s.Factors), func(f Factor) bool { return f.ID == e.FactorID })
	case *TotpStepUsed:
		s.updateFactor(e.FactorID, func(f *Factor) { f.LastStep, f.LastUsedAt, f.LastUse = e.Step, e.At, e.UseID })
		s.recordUse(e.In, e.UseID, e.UseID, e.FactorID, FactorTotp, e.At)
	case *WebAuthnUsed:
		s.updateFactor(e.FactorID, func(f *Factor) { f.SignCount, f.LastUsedAt, f.LastUse = e.SignCount, e.At, e.UseID })
		s.recordUse(e.In, e.UseID, e.VerificationID, e.FactorID, FactorWebAuthn, e.At)
	case *BackupCodeUsed:
		s.updateFactor(e.FactorID, func(f *Factor) {
			if e.Index >= 0 && e.Index < len(f.Codes) {
				f.Codes = slices.Clone(f.Codes)
				at := e.At
				f.Codes[e.Index].UsedAt = &at
			}
			f.LastUsedAt, f.LastUse = e.At, e.UseID
		})
		s.recordUse(e.In, e.UseID, e.UseID, e.FactorID, FactorBackupCode, e.At)
	case *WebAuthnCounterRegressed:
	default:
		return false
	}
	return true
}

func (s *State) updateFactor(id string, fn func(*Factor)) {
	s.Factors = slices.Clone(s.Factors)
	for i := range s.Factors {
		if s.Factors[i].ID == id {
			fn(&s.Factors[i])
		}
	}
}

// Factor finds the user's factor of a type (the first, for WebAuthn).
func (s *State) Factor(factorType string) (Factor, bool) {
	for _, f := range s.Factors {
		if f.Type == factorType {
			return f, true
		}
	}
	return Factor{}, false
}

// WebAuthnFactors are the user's WebAuthn credentials.
func (s *State) WebAuthnFactors() []Factor {
	var out []Factor
	for _, f := range s.Factors {
		if f.Type == FactorWebAuthn {
			out = append(out, f)
		}
	}
	return out
}
