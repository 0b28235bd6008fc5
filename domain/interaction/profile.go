package interaction

import (
	"net/url"
	"strings"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// guardProfile is the precondition of POST /profile (docs/experience.md, Profile):
// not in ForgotPassword, and in SignIn only for an identified user.
func guardProfile(s State) error {
	if s.Event == settings.EventForgotPassword {
		return domain.E("session.not_supported_for_forgot_password")
	}
	if s.Event == settings.EventSignIn && !s.Identified() {
		return domain.E("session.identifier_not_found")
	}
	return nil
}

// StageUsername stages a username (docs/experience.md, Profile: type username). u is
// the identified user, if any; taken says another user owns the name.
func StageUsername(s State, sie *settings.SignInExperience, u *user.State, name string, taken bool) ([]domain.Event, error) {
	if err := guardProfile(s); err != nil {
		return nil, err
	}
	if u != nil && u.Username != "" {
		return nil, domain.E("user.username_exists_in_profile")
	}
	if err := checkUsername(sie, name, taken); err != nil {
		return nil, err
	}
	return []domain.Event{&ProfileStaged{Username: &name}}, nil
}

func checkUsername(sie *settings.SignInExperience, name string, taken bool) error {
	if err := sie.UsernamePolicy.WithDefaults().Check(name); err != nil {
		return err
	}
	if taken {
		return domain.E("user.username_already_in_use")
	}
	return nil
}

// StagePassword stages a password digest (docs/experience.md,
// Profile: type password).
func StagePassword(s State, u *user.State, pw string, pws Passwords) ([]domain.Event, error) {
	if err := guardProfile(s); err != nil {
		return nil, err
	}
	if issues := pws.Issues(pw, PasswordUserInfo(u, &s.Profile)); len(issues) > 0 {
		return nil, domain.E("password.rejected").WithData(issues)
	}
	if u != nil && u.HasPassword() {
		if pws.Matches(pw, u.PasswordDigest) {
			return nil, domain.E("user.same_password")
		}
		return nil, domain.E("user.password_exists_in_profile")
	}
	digest, err := pws.Digest(pw)
	if err != nil {
		return nil, err
	}
	return []domain.Event{&ProfileStaged{PasswordDigest: &digest}}, nil
}

// ResetPassword stages the new password of a ForgotPassword interaction
// (docs/experience.md, Profile); there is no "exists" check in reset mode.
func ResetPassword(s State, u *user.State, pw string, pws Passwords) ([]domain.Event, error) {
	if s.Event != settings.EventForgotPassword {
		return nil, domain.E("session.invalid_interaction_type")
	}
	if !s.Identified() || u == nil {
		return nil, domain.E("session.identifier_not_found")
	}
	if issues := pws.Issues(pw, PasswordUserInfo(u, &s.Profile)); len(issues) > 0 {
		return nil, domain.E("password.rejected").WithData(issues)
	}
	if u.HasPassword() && pws.Matches(pw, u.PasswordDigest) {
		return nil, domain.E("user.same_password")
	}
	digest, err := pws.Digest(pw)
	if err != nil {
		return nil, err
	}
	return []domain.Event{&ProfileStaged{PasswordDigest: &digest}}, nil
}

// StageVerifiedIdentifier stages an email or phone from a verified record
// whose ProfileType is profileType (docs/experience.md, Profile: types email,
// phone and social).
func StageVerifiedIdentifier(s State, u *user.State, profileType, verificationID string, emailViolation *domain.Error, taken bool) ([]domain.Event, error) {
	if err := guardProfile(s); err != nil {
		return nil, err
	}
	return StageIdentifier(s, u, profileType, verificationID, emailViolation, taken)
}

// StageFederatedIdentity stages a verified Social record's identity to
// link to the user at submit (docs/experience.md, Profile: type social),
// with the synced name and avatar; the provider's email and phone are
// offers of a registration only. owner is the user who has the identity
// linked ("" when none): another user answers
// user.identity_already_in_use, the user itself stages nothing.
func StageFederatedIdentity(s State, u *user.State, verificationID, owner string) ([]domain.Event, error) {
	if err := guardProfile(s); err != nil {
		return nil, err
	}
	src, ok := RecordOf[ProfileSource](s, verificationID)
	if _, federated := src.(Federated); !ok || !federated || src.ProfileType() != "social" {
		return nil, domain.E("session.verification_session_not_found")
	}
	staged, err := profileFromRecord(src)
	if err != nil {
		return nil, err
	}
	switch {
	case owner != "" && (u == nil || owner != u.ID):
		return nil, domain.E("user.identity_already_in_use")
	case owner != "":
		return nil, nil
	}
	return []domain.Event{&ProfileStaged{Identity: staged.Identity, Name: staged.Name, Avatar: staged.Avatar}}, nil
}

// StageIdentifier stages an email or phone from a verified record whose
// ProfileType is profileType; the MFA binding of an email or phone uses it
// too. emailViolation is the blocklist's refusal of the record's email,
// taken says another user owns its identifier.
func StageIdentifier(s State, u *user.State, profileType, verificationID string, emailViolation *domain.Error, taken bool) ([]domain.Event, error) {
	src, ok := RecordOf[ProfileSource](s, verificationID)
	if !ok || src.ProfileType() != profileType {
		return nil, domain.E("session.verification_session_not_found")
	}
	if src.Profile().PrimaryEmail != nil && emailViolation != nil {
		return nil, emailViolation
	}
	staged, err := profileFromRecord(src)
	if err != nil {
		return nil, err
	}
	switch {
	case staged.PrimaryEmail != nil && u != nil && u.PrimaryEmail != "":
		return nil, domain.E("user.email_exists_in_profile")
	case staged.PrimaryPhone != nil && u != nil && u.PrimaryPhone != "":
		return nil, domain.E("user.phone_exists_in_profile")
	case staged.PrimaryEmail != nil && taken:
		return nil, domain.E("user.email_already_in_use")
	case staged.PrimaryPhone != nil && taken:
		return nil, domain.E("user.phone_already_in_use")
	}
	return []domain.Event{staged}, nil
}

var (
	oidcClaims       = map[string]bool{"familyName": true, "givenName": true, "middleName": true, "nickname": true, "profile": true, "website": true, "gender": true, "birthdate": true, "zoneinfo": true, "locale": true, "address": true}
	signInIdentifier = map[string]bool{"username": true, "primaryEmail": true, "primaryPhone": true, "email": true, "phone": true}
	reservedData     = map[string]bool{"onboarding": true, "ossOnboarding": true, "guideRequests": true, "adminConsolePreferences": true, "defaultTenantId": true}
)

// StageExtraProfile splits extra profile values into top-level fields, OIDC
// claims and custom data (docs/experience.md, Profile: type
// extraProfile).
func StageExtraProfile(s State, values map[string]any) ([]domain.Event, error) {
	if err := guardProfile(s); err != nil {
		return nil, err
	}
	for key := range values {
		if key == "preferredUsername" {
			return nil, domain.E("custom_profile_fields.name_conflict_built_in_prop")
		}
	}
	for key := range values {
		if signInIdentifier[key] {
			return nil, domain.E("custom_profile_fields.name_conflict_sign_in_identifier")
		}
	}
	for key := range values {
		if reservedData[key] {
			return nil, domain.E("custom_profile_fields.name_conflict_custom_data")
		}
	}
	staged := &ProfileStaged{Submitted: true}
	for key, v := range values {
		switch {
		case key == "name" || key == "avatar":
			str, ok := v.(string)
			if !ok || key == "avatar" && !isAvatar(str) {
				return nil, domain.E("guard.invalid_input")
			}
			if key == "name" {
				staged.Name = &str
			} else {
				staged.Avatar = &str
			}
		case oidcClaims[key]:
			staged.Profile = setKey(staged.Profile, key, v)
		default:
			staged.CustomData = setKey(staged.CustomData, key, v)
		}
	}
	return []domain.Event{staged}, nil
}

func isAvatar(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != ""
}

func setKey(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}

// PasswordUserInfo is what the userInfo password rule compares against: the staged
// profile first, then the user.
func PasswordUserInfo(u *user.State, p *Profile) password.UserInfo {
	var info password.UserInfo
	if u != nil {
		info = password.UserInfo{Name: u.Name, Username: u.Username, Email: u.PrimaryEmail, Phone: u.PrimaryPhone}
	}
	if p != nil {
		override(&info.Name, p.Name)
		override(&info.Username, p.Username)
		override(&info.Email, p.PrimaryEmail)
		override(&info.Phone, p.PrimaryPhone)
	}
	info.Name = strings.TrimSpace(info.Name)
	return info
}

func override(dst *string, v *string) {
	if v != nil && *v != "" {
		*dst = *v
	}
}
