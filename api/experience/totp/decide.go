package totp

import (
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// CreateSecret starts binding a TOTP (docs/experience.md, TOTP).
func CreateSecret(s interaction.State, verificationID string, secret user.Sealed) ([]domain.Event, error) {
	if err := interaction.RequireIdentified(s); err != nil {
		return nil, err
	}
	return []domain.Event{&SecretCreated{VerificationID: verificationID, UserID: s.UserID, Secret: secret}}, nil
}

// SecretOf returns the new secret of a binding record, for the caller to
// check the code against.
func SecretOf(s interaction.State, verificationID string) (*user.Sealed, bool) {
	rec, ok := interaction.UserRecord[Record](s, verificationID)
	return rec.NewSecret, ok && rec.NewSecret != nil
}

// VerifyNew checks a code against a binding record's secret (docs/experience.md, TOTP,
// with verificationId); matches is the caller's comparison.
func VerifyNew(s interaction.State, verificationID string, matches bool) ([]domain.Event, error) {
	if err := interaction.RequireIdentified(s); err != nil {
		return nil, err
	}
	if _, ok := SecretOf(s, verificationID); !ok {
		return nil, domain.E("session.verification_session_not_found")
	}
	if !matches {
		return nil, domain.E("session.mfa.invalid_totp_code")
	}
	return []domain.Event{&Verified{VerificationID: verificationID, UserID: s.UserID}}, nil
}

// VerifyExisting proves the user's TOTP (docs/experience.md, TOTP: without
// verificationId). step and matched come from checking the code at now;
// the step must be newer than the last one used, so a code works once.
// The verification is recorded on the user alone: the step's claim
// (Outcome.User), under the new record's id, verificationID, names the
// interaction (in), which folds it from there (Method.AdoptUse). The same
// request decided again after its claim committed finds the step used by
// itself and does not claim it again.
func VerifyExisting(s interaction.State, u *user.State, in user.UseIn, verificationID string, step uint64, matched bool, a interaction.Attempt) interaction.Outcome {
	if err := interaction.RequireIdentified(s); err != nil {
		return interaction.Outcome{Err: err}
	}
	factor, has := u.Factor(user.FactorTotp)
	mine := factor.ClaimedBy(verificationID) && factor.LastStep == step
	ok := has && matched && (step > factor.LastStep || mine)
	return interaction.SettleMFA(a, "MfaTotp", user.FactorTotp, ok, domain.E("session.mfa.invalid_totp_code"), func() interaction.Outcome {
		if mine {
			return interaction.Outcome{}
		}
		return interaction.Outcome{User: []domain.Event{&user.TotpStepUsed{FactorID: factor.ID, Step: step, At: a.Now, UseID: verificationID, In: &in}}}
	})
}

// Adopted is the interaction's record event of a verification recorded on
// the user alone (VerifyExisting).
func Adopted(use user.Use, userID string) *Verified {
	return &Verified{VerificationID: use.UseID, UserID: userID, FactorID: use.FactorID}
}

// Bind stages a verified new secret for binding (docs/experience.md, MFA binding).
func Bind(s interaction.State, sie *settings.SignInExperience, u *user.State, verificationID string) ([]domain.Event, error) {
	rec, ok := interaction.UserRecord[Record](s, verificationID)
	_, staged := s.MFA.StagedFactor(user.FactorTotp)
	_, has := u.Factor(user.FactorTotp)
	switch {
	case !ok:
		return nil, domain.E("session.verification_session_not_found")
	case !rec.Verified:
		return nil, domain.E("session.verification_failed")
	case rec.NewSecret == nil:
		return nil, domain.E("session.mfa.pending_info_not_found")
	case !interaction.FactorOn(sie, user.FactorTotp):
		return nil, domain.E("session.mfa.mfa_factor_not_enabled")
	case staged || has:
		return nil, domain.E("user.totp_already_in_use")
	}
	return []domain.Event{interaction.Bound(user.FactorTotp, verificationID)}, nil
}
