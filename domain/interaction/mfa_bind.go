package interaction

import (
	"slices"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// guardVerified is the "verified interaction" guard of the /profile/mfa
// routes (spec §1.7): not in ForgotPassword; in SignIn, identified and
// MFA-verified when required.
func guardVerified(s State, sie *settings.SignInExperience, u *user.State) error {
	if s.Event == settings.EventForgotPassword {
		return domain.E("session.not_supported_for_forgot_password")
	}
	if s.Event == settings.EventSignIn {
		if err := requireIdentified(s); err != nil {
			return err
		}
		return GuardMFA(s, sie, u)
	}
	return nil
}

// BindInput holds the facts an email or phone binding decides on.
type BindInput struct {
	EmailViolation *domain.Error
	Taken          bool
}

// BindMFA stages a verified factor for binding (spec §1.7, §6 decision 8).
func BindMFA(s State, sie *settings.SignInExperience, u *user.State, factor, verificationID string, in BindInput) ([]domain.Event, error) {
	if err := guardVerified(s, sie, u); err != nil {
		return nil, err
	}
	if err := requireIdentified(s); err != nil || u == nil {
		return nil, domain.E("session.identifier_not_found")
	}
	bound := &MFABound{Type: factor, VerificationID: verificationID}
	switch factor {
	case user.FactorTotp:
		rec, ok := mfaRecord(s, verificationID, RecordTotp)
		switch {
		case !ok:
			return nil, domain.E("session.verification_session_not_found")
		case !rec.Verified:
			return nil, domain.E("session.verification_failed")
		case rec.NewSecret == nil:
			return nil, domain.E("session.mfa.pending_info_not_found")
		case !factorOn(sie, factor):
			return nil, domain.E("session.mfa.mfa_factor_not_enabled")
		case s.MFA.Totp != nil:
			return nil, domain.E("user.totp_already_in_use")
		}
		if _, has := u.Factor(user.FactorTotp); has {
			return nil, domain.E("user.totp_already_in_use")
		}
	case user.FactorWebAuthn:
		rec, ok := mfaRecord(s, verificationID, RecordWebAuthn)
		switch {
		case !ok:
			return nil, domain.E("session.verification_session_not_found")
		case !rec.Verified:
			return nil, domain.E("session.verification_failed")
		case rec.Credential == nil:
			return nil, domain.E("session.mfa.pending_info_not_found")
		case !factorOn(sie, factor) && !sie.PasskeySignIn.Enabled:
			return nil, domain.E("session.mfa.mfa_factor_not_enabled")
		}
	case user.FactorBackupCode:
		rec, ok := mfaRecord(s, verificationID, RecordBackupCode)
		switch {
		case !ok:
			return nil, domain.E("session.verification_session_not_found")
		case !factorOn(sie, factor):
			return nil, domain.E("session.mfa.mfa_factor_not_enabled")
		case !slices.ContainsFunc(linkedFactors(s, sie, u), func(f string) bool { return f != user.FactorBackupCode }):
			return nil, domain.E("session.mfa.backup_code_can_not_be_alone")
		case len(rec.BackupCodes) == 0:
			return nil, domain.E("session.mfa.pending_info_not_found")
		}
	case user.FactorEmail, user.FactorPhone:
		if !factorOn(sie, factor) {
			return nil, domain.E("session.mfa.mfa_factor_not_enabled")
		}
		recordType := RecordEmailCode
		if factor == user.FactorPhone {
			recordType = RecordPhoneCode
		}
		staged, err := stageIdentifier(s, u, recordType, verificationID, in.EmailViolation, in.Taken)
		if err != nil {
			return nil, err
		}
		return append(staged, bound), nil
	default:
		return nil, domain.E("guard.invalid_input")
	}
	return []domain.Event{bound}, nil
}

// SkipMFA stages skipping optional MFA (spec §1.8).
func SkipMFA(s State, sie *settings.SignInExperience, u *user.State) ([]domain.Event, error) {
	if err := guardVerified(s, sie, u); err != nil {
		return nil, err
	}
	if err := requireIdentified(s); err != nil {
		return nil, err
	}
	if mandatory(sie.MFA.Policy) {
		return nil, domain.E("session.mfa.mfa_policy_not_user_controlled")
	}
	return []domain.Event{&MFASkipped{}}, nil
}

// SkipMFASuggestion stages skipping the additional-factor suggestion.
func SkipMFASuggestion(s State, sie *settings.SignInExperience, u *user.State) ([]domain.Event, error) {
	if err := guardVerified(s, sie, u); err != nil {
		return nil, err
	}
	return []domain.Event{&MFASuggestionSkipped{}}, nil
}
