package backupcode

import (
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// Generate creates a backup-code record (docs/experience.md, Backup codes).
func Generate(s interaction.State, verificationID string, hashes []user.CodeHash) ([]domain.Event, error) {
	if err := interaction.RequireIdentified(s); err != nil {
		return nil, err
	}
	return []domain.Event{&Generated{VerificationID: verificationID, UserID: s.UserID, Codes: hashes}}, nil
}

// Verify consumes one of the user's backup codes (docs/experience.md, Backup codes); find
// locates the submitted code among the stored hashes. The code is claimed
// on the user under the new record's id, verificationID, and recorded
// there alone, like a TOTP step (totp.VerifyExisting).
func Verify(s interaction.State, u *user.State, in user.UseIn, verificationID string, find func([]user.CodeHash) (int, bool), a interaction.Attempt) interaction.Outcome {
	if err := interaction.RequireIdentified(s); err != nil {
		return interaction.Outcome{Err: err}
	}
	factor, has := u.Factor(user.FactorBackupCode)
	index, ok, mine := -1, false, false
	if has {
		hashes := make([]user.CodeHash, len(factor.Codes))
		for i, c := range factor.Codes {
			hashes[i] = c.Hash
		}
		index, ok = find(hashes)
		mine = ok && factor.ClaimedBy(verificationID) && factor.Codes[index].UsedAt != nil
		ok = ok && (factor.Codes[index].UsedAt == nil || mine)
	}
	return interaction.SettleMFA(a, "MfaBackupCode", user.FactorBackupCode, ok, domain.E("session.mfa.invalid_backup_code"), func() interaction.Outcome {
		if mine {
			return interaction.Outcome{}
		}
		return interaction.Outcome{User: []domain.Event{&user.BackupCodeUsed{FactorID: factor.ID, Index: index, At: a.Now, UseID: verificationID, In: &in}}}
	})
}

// Adopted is the interaction's record event of a verification recorded on
// the user alone (Verify).
func Adopted(use user.Use, userID string) *Verified {
	return &Verified{VerificationID: use.UseID, UserID: userID, FactorID: use.FactorID}
}

// Bind stages new backup codes for binding (docs/experience.md, MFA binding): never as the only
// factor.
func Bind(s interaction.State, sie *settings.SignInExperience, u *user.State, verificationID string) ([]domain.Event, error) {
	rec, ok := interaction.UserRecord[Record](s, verificationID)
	switch {
	case !ok:
		return nil, domain.E("session.verification_session_not_found")
	case !interaction.FactorOn(sie, user.FactorBackupCode):
		return nil, domain.E("session.mfa.mfa_factor_not_enabled")
	case !interaction.HasOtherFactor(s, sie, u):
		return nil, domain.E("session.mfa.backup_code_can_not_be_alone")
	case len(rec.Codes) == 0:
		return nil, domain.E("session.mfa.pending_info_not_found")
	}
	return []domain.Event{interaction.Bound(user.FactorBackupCode, verificationID)}, nil
}
