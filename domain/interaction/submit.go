package interaction

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// SubmitInput holds the facts a submit decides on.
type SubmitInput struct {
	User *user.State // the identified user
	// Taken says, per identifier kind, that the staged value is owned by
	// another user.
	Taken map[string]bool
	// CredentialOwners maps each staged WebAuthn credential id to the user
	// owning it ("" when free).
	CredentialOwners map[string]string
	InteractionID    string
	Now              time.Time
	// NewID names newly bound MFA factors.
	NewID func() string
}

// SubmitOutcome is what a submit writes: to the interaction and to the user,
// in one atomic append.
type SubmitOutcome struct {
	Interaction []domain.Event
	User        []domain.Event
	// Claims are the newly staged unique identifiers to claim, by kind.
	Claims map[string]string
	// Credentials are the ids of the WebAuthn credentials to claim (those
	// the user does not own yet).
	Credentials []string
}

// Submit finishes an interaction (docs/experience.md, Submit).
func Submit(s State, sie *settings.SignInExperience, in SubmitInput) (SubmitOutcome, error) {
	if !s.Identified() || in.User == nil || !in.User.Exists {
		return SubmitOutcome{}, domain.E("session.identifier_not_found")
	}
	u := in.User
	if s.Event == settings.EventForgotPassword {
		if s.Profile.PasswordDigest == nil {
			return SubmitOutcome{}, domain.E("user.new_password_required_in_profile")
		}
		return SubmitOutcome{
			User: []domain.Event{&user.PasswordChanged{
				Digest: *s.Profile.PasswordDigest, Reason: user.PasswordReset, At: in.Now, InteractionID: in.InteractionID,
			}},
			Interaction: []domain.Event{&Submitted{Event: s.Event, UserID: u.ID, Verifications: s.Adopted()}},
		}, nil
	}
	if s.Event == settings.EventSignIn {
		if err := GuardMFA(s, sie, u); err != nil {
			return SubmitOutcome{}, err
		}
	}
	p := &s.Profile
	switch {
	case p.Username != nil && u.Username != "":
		return SubmitOutcome{}, domain.E("user.username_exists_in_profile")
	case p.PrimaryEmail != nil && u.PrimaryEmail != "":
		return SubmitOutcome{}, domain.E("user.email_exists_in_profile")
	case p.PrimaryPhone != nil && u.PrimaryPhone != "":
		return SubmitOutcome{}, domain.E("user.phone_exists_in_profile")
	}
	if err := checkTaken(&ProfileStaged{Username: p.Username, PrimaryEmail: p.PrimaryEmail, PrimaryPhone: p.PrimaryPhone, Identity: p.Identity}, in.Taken); err != nil {
		return SubmitOutcome{}, err
	}
	if p.PasswordDigest != nil && u.HasPassword() {
		return SubmitOutcome{}, domain.E("user.password_exists_in_profile")
	}
	if missing := MissingProfile(sie, u, p, s.Event == settings.EventRegister); len(missing) > 0 && !profileExempt(s, sie, p) {
		return SubmitOutcome{}, domain.E("user.missing_profile").WithData(map[string]any{"missingProfile": missing})
	}
	for _, f := range s.MFA.Bound {
		if !FactorOn(sie, f) && !(f == user.FactorWebAuthn && sie.PasskeySignIn.Enabled) {
			return SubmitOutcome{}, domain.E("session.mfa.mfa_factor_not_enabled")
		}
	}
	if err := CheckMFAFulfilment(s, sie, u); err != nil {
		return SubmitOutcome{}, err
	}
	out := SubmitOutcome{Interaction: []domain.Event{&Submitted{Event: s.Event, UserID: u.ID, Verifications: s.Adopted()}}}
	for _, id := range StagedCredentials(s) {
		switch owner := in.CredentialOwners[id]; owner {
		case "":
			out.Credentials = append(out.Credentials, id)
		case u.ID:
		default:
			return SubmitOutcome{}, domain.E("session.mfa.webauthn_verification_failed").WithData(map[string]any{"message": "credential registered to another user"})
		}
	}
	out.User = append(out.User, mfaUpdates(s, in)...)
	if update := profileUpdate(p, in.InteractionID); update != nil {
		out.User = append(out.User, update)
	}
	if p.Identity != nil {
		out.User = append(out.User, &user.IdentityLinked{Identity: *p.Identity, InteractionID: in.InteractionID})
	}
	out.Claims = StagedIdentifiers(p)
	if p.PasswordDigest != nil {
		out.User = append(out.User, &user.PasswordChanged{
			Digest: *p.PasswordDigest, Reason: user.PasswordSet, At: in.Now, InteractionID: in.InteractionID,
		})
	}
	return out, nil
}

func profileUpdate(p *Profile, interactionID string) *user.ProfileUpdated {
	if p.Username == nil && p.PrimaryEmail == nil && p.PrimaryPhone == nil && p.Name == nil && p.Avatar == nil &&
		len(p.Profile) == 0 && len(p.CustomData) == 0 {
		return nil
	}
	return &user.ProfileUpdated{
		Username: p.Username, PrimaryEmail: p.PrimaryEmail, PrimaryPhone: p.PrimaryPhone, Name: p.Name,
		Avatar: p.Avatar, Profile: p.Profile, CustomData: p.CustomData, InteractionID: interactionID,
	}
}

// StagedCredentials are the ids of the WebAuthn credentials bound in the
// interaction: unique across users, so submit claims them.
func StagedCredentials(s State) []string {
	var ids []string
	for _, f := range s.MFA.Factors {
		if f.Type == user.FactorWebAuthn {
			ids = append(ids, f.CredentialID)
		}
	}
	return ids
}

// StagedIdentifiers are the unique identifiers in a staged profile, by kind.
func StagedIdentifiers(p *Profile) map[string]string {
	out := map[string]string{}
	for kind, v := range map[string]*string{user.KindUsername: p.Username, user.KindEmail: p.PrimaryEmail, user.KindPhone: p.PrimaryPhone} {
		if v != nil && *v != "" {
			out[kind] = *v
		}
	}
	if p.Identity != nil {
		out[p.Identity.Kind] = p.Identity.Key()
	}
	return out
}

// mfaUpdates are the user events of the MFA staged in the interaction: the
// bound factors, TOTP first, then WebAuthn credentials, then backup codes
// (new ones replace the old), and logtoConfig.mfa (docs/experience.md, MFA binding).
func mfaUpdates(s State, in SubmitInput) []domain.Event {
	var out []domain.Event
	for _, typ := range []string{user.FactorTotp, user.FactorWebAuthn, user.FactorBackupCode} {
		for _, f := range s.MFA.Factors {
			if f.Type == typ {
				f.ID, f.CreatedAt = in.NewID(), in.Now
				out = append(out, &user.MFAFactorAdded{Factor: f, InteractionID: in.InteractionID, Source: "experience"})
			}
		}
	}
	if s.MFA.Enabled != nil || s.MFA.Skipped || s.MFA.SuggestionSkipped {
		cfg := &user.MFAConfigUpdated{Enabled: s.MFA.Enabled}
		if s.MFA.Skipped {
			cfg.Skipped = &s.MFA.Skipped
		}
		if s.MFA.SuggestionSkipped {
			cfg.AdditionalBindingSuggestionSkipped = &s.MFA.SuggestionSkipped
		}
		out = append(out, cfg)
	}
	return out
}
