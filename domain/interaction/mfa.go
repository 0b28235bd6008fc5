package interaction

import (
	"encoding/json"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/user"
)

// Ceremonies of a WebAuthn record.
const (
	CeremonyRegistration   = "registration"
	CeremonyAuthentication = "authentication"
)

func requireIdentified(s State) error {
	if !s.Identified() {
		return domain.E("session.identifier_not_found")
	}
	return nil
}

// mfaRecord finds the interaction user's record of a type.
func mfaRecord(s State, verificationID, recordType string) (Record, bool) {
	rec, ok := s.Record(verificationID)
	return rec, ok && rec.Type == recordType && rec.UserID == s.UserID
}

// CreateTotpSecret starts binding a TOTP (spec §1.18).
func CreateTotpSecret(s State, verificationID string, secret user.Sealed) ([]domain.Event, error) {
	if err := requireIdentified(s); err != nil {
		return nil, err
	}
	return []domain.Event{&TotpSecretCreated{VerificationID: verificationID, UserID: s.UserID, Secret: secret}}, nil
}

// TotpSecretOf returns the new secret of a binding record, for the caller
// to check the code against.
func TotpSecretOf(s State, verificationID string) (*user.Sealed, bool) {
	rec, ok := mfaRecord(s, verificationID, RecordTotp)
	return rec.NewSecret, ok && rec.NewSecret != nil
}

// VerifyNewTotp checks a code against a binding record's secret (spec §1.19,
// with verificationId); matches is the caller's comparison.
func VerifyNewTotp(s State, verificationID string, matches bool) ([]domain.Event, error) {
	if err := requireIdentified(s); err != nil {
		return nil, err
	}
	if _, ok := TotpSecretOf(s, verificationID); !ok {
		return nil, domain.E("session.verification_session_not_found")
	}
	if !matches {
		return nil, domain.E("session.mfa.invalid_totp_code")
	}
	return []domain.Event{&TotpVerified{VerificationID: verificationID, UserID: s.UserID}}, nil
}

// Attempt carries the sentinel facts of an MFA verification.
type Attempt struct {
	Sentinel sentinel.State
	Policy   sentinel.Policy
	Now      time.Time
}

// VerifyExistingTotp proves the user's TOTP (spec §1.19, without
// verificationId). step and matched come from checking the code at now;
// the step must be newer than the last one used, so a code works once.
func VerifyExistingTotp(s State, u *user.State, verificationID string, step uint64, matched bool, a Attempt) Outcome {
	if err := requireIdentified(s); err != nil {
		return Outcome{Err: err}
	}
	factor, has := u.Factor(user.FactorTotp)
	ok := has && matched && step > factor.LastStep
	return settleMFA(a, "MfaTotp", user.FactorTotp, ok, domain.E("session.mfa.invalid_totp_code"), func() Outcome {
		return Outcome{
			Interaction: []domain.Event{&TotpVerified{VerificationID: verificationID, UserID: s.UserID, FactorID: factor.ID}},
			User:        []domain.Event{&user.TotpStepUsed{FactorID: factor.ID, Step: step, At: a.Now}},
		}
	})
}

// settleMFA runs the sentinel over an MFA verification and builds the
// outcome: success, the verification's failure, or the lockout.
func settleMFA(a Attempt, action, factor string, ok bool, refusal *domain.Error, success func() Outcome) Outcome {
	blocked, sentinelEvents := sentinel.Decide(a.Sentinel, a.Policy, action, !ok, a.Now)
	var failure *domain.Error
	switch {
	case blocked:
		failure = domain.E("session.verification_blocked_too_many_attempts")
	case !ok:
		failure = refusal
	}
	if failure != nil {
		return Outcome{
			Interaction: []domain.Event{&MFAVerificationFailed{Factor: factor, Reason: failure.Code}},
			Sentinel:    sentinelEvents, Err: failure,
		}
	}
	return success()
}

// StartWebAuthn stores a ceremony's session (spec §1.20, §1.22); an
// authentication needs a credential to ask for.
func StartWebAuthn(s State, u *user.State, verificationID, ceremony string, session json.RawMessage) ([]domain.Event, error) {
	if err := requireIdentified(s); err != nil {
		return nil, err
	}
	if ceremony == CeremonyAuthentication && len(u.WebAuthnFactors()) == 0 {
		return nil, domain.E("session.mfa.webauthn_verification_not_found")
	}
	return []domain.Event{&WebAuthnChallenged{VerificationID: verificationID, UserID: s.UserID, Ceremony: ceremony, Session: session}}, nil
}

// FinishWebAuthnRegistration verifies a registration record (spec §1.21);
// verify checks the payload against the stored session.
func FinishWebAuthnRegistration(s State, verificationID string, verify func(session json.RawMessage) (user.Factor, error)) ([]domain.Event, error) {
	if err := requireIdentified(s); err != nil {
		return nil, err
	}
	rec, ok := mfaRecord(s, verificationID, RecordWebAuthn)
	if !ok {
		return nil, domain.E("session.verification_session_not_found")
	}
	if rec.Ceremony != CeremonyRegistration || rec.Session == nil {
		return nil, domain.E("session.mfa.pending_info_not_found")
	}
	cred, err := verify(rec.Session)
	if err != nil {
		return nil, domain.E("session.mfa.webauthn_verification_failed").WithData(map[string]any{"message": err.Error()})
	}
	return []domain.Event{&WebAuthnRegistered{VerificationID: verificationID, Credential: cred}}, nil
}

// Assertion is a verified WebAuthn assertion.
type Assertion struct {
	CredentialID string
	SignCount    uint32
	CloneWarning bool
}

// FinishWebAuthnAuthentication verifies an authentication record (spec
// §1.23). The counter is recorded; a counter that went backwards is
// recorded as a risk event, not silently passed.
func FinishWebAuthnAuthentication(s State, u *user.State, verificationID string, verify func(session json.RawMessage) (Assertion, error), a Attempt) Outcome {
	if err := requireIdentified(s); err != nil {
		return Outcome{Err: err}
	}
	rec, ok := s.Record(verificationID)
	if !ok || rec.Type != RecordWebAuthn {
		return Outcome{Err: domain.E("session.verification_session_not_found")}
	}
	if rec.UserID != s.UserID {
		return Outcome{Err: domain.E("session.identity_conflict@webauthn")}
	}
	if rec.Ceremony != CeremonyAuthentication || rec.Session == nil {
		return Outcome{Err: domain.E("session.mfa.pending_info_not_found")}
	}
	got, err := verify(rec.Session)
	var factor user.Factor
	if err == nil {
		for _, f := range u.WebAuthnFactors() {
			if f.CredentialID == got.CredentialID {
				factor = f
			}
		}
	}
	return settleMFA(a, "WebAuthn", user.FactorWebAuthn, err == nil && factor.ID != "", domain.E("session.mfa.webauthn_verification_failed"), func() Outcome {
		out := Outcome{
			Interaction: []domain.Event{&WebAuthnAuthenticated{VerificationID: verificationID, FactorID: factor.ID}},
			User:        []domain.Event{&user.WebAuthnUsed{FactorID: factor.ID, SignCount: got.SignCount, At: a.Now}},
		}
		if got.CloneWarning {
			out.User = append(out.User, &user.WebAuthnCounterRegressed{FactorID: factor.ID, Stored: factor.SignCount, Received: got.SignCount, At: a.Now})
		}
		return out
	})
}

// GenerateBackupCodes creates a backup-code record (spec §1.24).
func GenerateBackupCodes(s State, verificationID string, hashes []user.CodeHash) ([]domain.Event, error) {
	if err := requireIdentified(s); err != nil {
		return nil, err
	}
	return []domain.Event{&BackupCodesGenerated{VerificationID: verificationID, UserID: s.UserID, Codes: hashes}}, nil
}

// VerifyBackupCode consumes one of the user's backup codes (spec §1.25);
// find locates the submitted code among the stored hashes.
func VerifyBackupCode(s State, u *user.State, verificationID string, find func([]user.CodeHash) (int, bool), a Attempt) Outcome {
	if err := requireIdentified(s); err != nil {
		return Outcome{Err: err}
	}
	factor, has := u.Factor(user.FactorBackupCode)
	index, ok := -1, false
	if has {
		hashes := make([]user.CodeHash, len(factor.Codes))
		for i, c := range factor.Codes {
			hashes[i] = c.Hash
		}
		index, ok = find(hashes)
		ok = ok && factor.Codes[index].UsedAt == nil
	}
	return settleMFA(a, "MfaBackupCode", user.FactorBackupCode, ok, domain.E("session.mfa.invalid_backup_code"), func() Outcome {
		return Outcome{
			Interaction: []domain.Event{&BackupCodeVerified{VerificationID: verificationID, UserID: s.UserID, FactorID: factor.ID}},
			User:        []domain.Event{&user.BackupCodeUsed{FactorID: factor.ID, Index: index, At: a.Now}},
		}
	})
}
