package interaction

import (
	"slices"
	"sort"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// MFA policies (docs/experience.md, MFA policies).
const (
	PolicyMandatory                        = "Mandatory"
	PolicyUserControlled                   = "UserControlled"
	PolicyPromptAtSignInAndSignUp          = "PromptAtSignInAndSignUp"
	PolicyPromptOnlyAtSignIn               = "PromptOnlyAtSignIn"
	PolicyNoPrompt                         = "NoPrompt"
	PolicyPromptAtSignInAndSignUpMandatory = "PromptAtSignInAndSignUpMandatory"
	PolicyPromptOnlyAtSignInMandatory      = "PromptOnlyAtSignInMandatory"
)

// mandatory: the no-skip policies.
func mandatory(policy string) bool {
	return policy == PolicyMandatory || policy == PolicyPromptAtSignInAndSignUpMandatory || policy == PolicyPromptOnlyAtSignInMandatory
}

// FactorOn reports whether the sign-in experience enables an MFA factor.
func FactorOn(sie *settings.SignInExperience, factor string) bool {
	return slices.Contains(sie.MFA.Factors, factor)
}

// EnabledFactors are the user's factors that count (docs/experience.md, MFA factors): stored
// factors the SIE enables (a backup-code set with no unused code does not
// count), WebAuthn first, the rest by last use, then implicit phone and
// email, backup codes last. An explicit phone or email factor (the MFA
// API's SMS and Email devices) counts as that factor through the profile
// it was registered from: the codes here go to the primary phone or email,
// so without one it cannot be verified.
func EnabledFactors(sie *settings.SignInExperience, u *user.State) []string {
	if u == nil {
		return nil
	}
	stored := slices.Clone(u.Factors)
	sort.SliceStable(stored, func(i, j int) bool {
		wi, wj := stored[i].Type == user.FactorWebAuthn, stored[j].Type == user.FactorWebAuthn
		if wi != wj {
			return wi
		}
		return stored[i].LastUsedAt.After(stored[j].LastUsedAt)
	})
	var out []string
	add := func(f string) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	backup := false
	for _, f := range stored {
		switch {
		case !FactorOn(sie, f.Type), contactFactor(f.Type):
		case f.Type == user.FactorBackupCode:
			backup = backup || f.UnusedCodes() > 0
		default:
			add(f.Type)
		}
	}
	if FactorOn(sie, user.FactorPhone) && u.PrimaryPhone != "" {
		add(user.FactorPhone)
	}
	if FactorOn(sie, user.FactorEmail) && u.PrimaryEmail != "" {
		add(user.FactorEmail)
	}
	if backup {
		add(user.FactorBackupCode)
	}
	return out
}

// contactFactor: an explicit phone or email factor, counted through the
// profile's phone or email.
func contactFactor(factorType string) bool {
	return factorType == user.FactorPhone || factorType == user.FactorEmail
}

// VerificationRequired tells whether a sign-in must verify a factor
// (docs/experience.md, MFA verification).
func VerificationRequired(sie *settings.SignInExperience, u *user.State) bool {
	if u == nil {
		return false
	}
	if u.MFA.Enabled != nil && !*u.MFA.Enabled && !mandatory(sie.MFA.Policy) {
		return false
	}
	return len(EnabledFactors(sie, u)) > 0
}

// verifiedFactor is the factor a verified record proves (MFAProof), or "".
func verifiedFactor(r Record) string {
	p, ok := r.(MFAProof)
	if !ok || !r.Base().Verified {
		return ""
	}
	return p.ProvesFactor()
}

// GuardMFA is the MFA verification guard (docs/experience.md, MFA verification): a sign-in of a user
// who must verify a factor passes only with a verified record of one of
// the user's enabled factors, or through enterprise SSO.
func GuardMFA(s State, sie *settings.SignInExperience, u *user.State) error {
	if s.Event != settings.EventSignIn || !VerificationRequired(sie, u) || ssoVerified(s) {
		return nil
	}
	available := EnabledFactors(sie, u)
	for _, r := range s.Records {
		if f := verifiedFactor(r); f != "" && slices.Contains(available, f) {
			return nil
		}
	}
	return domain.E("session.mfa.require_mfa_verification").WithData(map[string]any{
		"availableFactors": available, "maskedIdentifiers": maskedIdentifiers(available, u),
	})
}

func maskedIdentifiers(factors []string, u *user.State) map[string]string {
	out := map[string]string{}
	if slices.Contains(factors, user.FactorEmail) && u.PrimaryEmail != "" {
		out[user.FactorEmail] = user.MaskEmail(u.PrimaryEmail)
	}
	if slices.Contains(factors, user.FactorPhone) && u.PrimaryPhone != "" {
		out[user.FactorPhone] = user.MaskPhone(u.PrimaryPhone)
	}
	return out
}

// configuredFactors are the SIE's factors without backup codes, in the
// order WebAuthn, Totp, Phone, Email.
func configuredFactors(sie *settings.SignInExperience) []string {
	var out []string
	for _, f := range []string{user.FactorWebAuthn, user.FactorTotp, user.FactorPhone, user.FactorEmail} {
		if FactorOn(sie, f) {
			out = append(out, f)
		}
	}
	return out
}

// linkedFactors: the user's factor types (stored, implicit email/phone)
// plus those staged in this interaction.
func linkedFactors(s State, sie *settings.SignInExperience, u *user.State) []string {
	var out []string
	add := func(f string) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	for _, f := range u.Factors {
		if !contactFactor(f.Type) && (f.Type != user.FactorBackupCode || f.UnusedCodes() > 0) {
			add(f.Type)
		}
	}
	if FactorOn(sie, user.FactorEmail) && (u.PrimaryEmail != "" || s.Profile.PrimaryEmail != nil) {
		add(user.FactorEmail)
	}
	if FactorOn(sie, user.FactorPhone) && (u.PrimaryPhone != "" || s.Profile.PrimaryPhone != nil) {
		add(user.FactorPhone)
	}
	for _, f := range s.MFA.Bound {
		add(f)
	}
	return out
}

// CheckMFAFulfilment applies docs/experience.md, MFA fulfilment at submit: the optional prompt,
// mandatory binding, the additional-factor suggestion and backup codes;
// none of it for an interaction verified by enterprise SSO.
func CheckMFAFulfilment(s State, sie *settings.SignInExperience, u *user.State) error {
	policy := sie.MFA.Policy
	if len(sie.MFA.Factors) == 0 || ssoVerified(s) {
		return nil
	}
	register := s.Event == settings.EventRegister
	skipped := s.MFA.Skipped || u.MFA.Skipped
	configured := configuredFactors(sie)
	if !(mandatory(policy) || policy == PolicyNoPrompt || register && policy == PolicyPromptOnlyAtSignIn || skipped) {
		enabled := u.MFA.Enabled
		if s.MFA.Enabled != nil {
			enabled = s.MFA.Enabled
		}
		if enabled == nil && len(u.Factors) == 0 || enabled != nil && !*enabled {
			return domain.E("user.suggest_mfa").WithData(map[string]any{"availableFactors": configured, "skippable": true})
		}
	}
	if register && (policy == PolicyPromptOnlyAtSignIn || policy == PolicyPromptOnlyAtSignInMandatory) ||
		policy == PolicyNoPrompt || !mandatory(policy) && skipped {
		return nil
	}
	linked := linkedFactors(s, sie, u)
	if !slices.ContainsFunc(configured, func(f string) bool { return slices.Contains(linked, f) }) {
		data := map[string]any{"availableFactors": configured}
		if !mandatory(policy) {
			data["skippable"] = true
		}
		return domain.E("user.missing_mfa").WithData(data)
	}
	if suggestAdditional(s, sie, u, configured, linked) {
		return domain.E("session.mfa.suggest_additional_mfa").WithData(map[string]any{
			"availableFactors": configured, "maskedIdentifiers": maskedIdentifiers(linked, u),
			"isWebAuthnUsedAsSignInPasskey": sie.PasskeySignIn.Enabled, "skippable": true, "suggestion": true,
		})
	}
	if FactorOn(sie, user.FactorBackupCode) && !slices.Contains(linked, user.FactorBackupCode) {
		return domain.E("session.mfa.backup_code_required")
	}
	return nil
}

// suggestAdditional: the user's only factors are a sign-up email/phone
// and/or a passkey, and not every configured factor is already theirs.
func suggestAdditional(s State, sie *settings.SignInExperience, u *user.State, configured, linked []string) bool {
	if s.MFA.SuggestionSkipped || u.MFA.AdditionalBindingSuggestionSkipped {
		return false
	}
	if !slices.ContainsFunc(configured, func(f string) bool { return !slices.Contains(linked, f) }) {
		return false
	}
	has := func(f string) bool { return slices.Contains(linked, f) }
	switch {
	case has(user.FactorEmail) && !sie.IsSignUpIdentifier(settings.IdentifierEmail),
		has(user.FactorPhone) && !sie.IsSignUpIdentifier(settings.IdentifierPhone),
		has(user.FactorTotp) || has(user.FactorBackupCode),
		has(user.FactorWebAuthn) && !sie.PasskeySignIn.Enabled:
		return false
	}
	return true
}
