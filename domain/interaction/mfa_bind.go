package interaction

import (
	"slices"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// guardVerified is the "verified interaction" guard of the /profile/mfa
// routes (docs/experience.md, MFA binding): not in ForgotPassword; in SignIn, identified and
// MFA-verified when required.
func guardVerified(s State, sie *settings.SignInExperience, u *user.State) error {
	if s.Event == settings.EventForgotPassword {
		return domain.E("session.not_supported_for_forgot_password")
	}
	if s.Event == settings.EventSignIn {
		if err := RequireIdentified(s); err != nil {
			return err
		}
		return GuardMFA(s, sie, u)
	}
	return nil
}

// GuardBinding is the precondition of POST /profile/mfa (docs/experience.md, MFA binding): the
// verified-interaction guard, then an identified user. The factor's method
// decides the rest (experience.Binder) and answers the binding with Bound.
func GuardBinding(s State, sie *settings.SignInExperience, u *user.State) error {
	if err := guardVerified(s, sie, u); err != nil {
		return err
	}
	if !s.Identified() || u == nil {
		return domain.E("session.identifier_not_found")
	}
	return nil
}

// Bound is the event that stages the factor of record verificationID.
func Bound(factor, verificationID string) *MFABound {
	return &MFABound{Type: factor, VerificationID: verificationID}
}

// HasOtherFactor reports whether the user has, or binds in this
// interaction, a factor besides backup codes, which cannot be alone.
func HasOtherFactor(s State, sie *settings.SignInExperience, u *user.State) bool {
	return slices.ContainsFunc(linkedFactors(s, sie, u), func(f string) bool { return f != user.FactorBackupCode })
}

// SkipMFA stages skipping optional MFA (docs/experience.md, MFA policies).
func SkipMFA(s State, sie *settings.SignInExperience, u *user.State) ([]domain.Event, error) {
	if err := guardVerified(s, sie, u); err != nil {
		return nil, err
	}
	if err := RequireIdentified(s); err != nil {
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
