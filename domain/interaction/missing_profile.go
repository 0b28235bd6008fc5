package interaction

import (
	"slices"

	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// MissingProfile lists the mandatory profile keys that neither the user nor
// the staged profile provides (docs/experience.md, Profile). register adds the
// custom sign-up profile fields, reported as "extraProfile".
func MissingProfile(sie *settings.SignInExperience, u *user.State, p *Profile, register bool) []string {
	has := func(field string) bool {
		switch field {
		case settings.IdentifierUsername:
			return u != nil && u.Username != "" || p.Username != nil && *p.Username != ""
		case settings.IdentifierEmail:
			return u != nil && u.PrimaryEmail != "" || p.PrimaryEmail != nil && *p.PrimaryEmail != ""
		case settings.IdentifierPhone:
			return u != nil && u.PrimaryPhone != "" || p.PrimaryPhone != nil && *p.PrimaryPhone != ""
		case settings.IdentifierEmailOrPhone:
			return has2(u, p)
		case "password":
			return u != nil && (u.HasPassword() || hasIdentity(u, user.KindSocial)) || p.PasswordDigest != nil || p.Identity != nil
		}
		return true
	}
	var required []string
	ids := sie.SignUp.Identifiers
	switch {
	case slices.Contains(ids, settings.IdentifierUsername):
		required = append(required, settings.IdentifierUsername)
	case slices.Contains(ids, settings.IdentifierEmail) && slices.Contains(ids, settings.IdentifierPhone):
		required = append(required, settings.IdentifierEmailOrPhone)
	case slices.Contains(ids, settings.IdentifierEmail):
		required = append(required, settings.IdentifierEmail)
	case slices.Contains(ids, settings.IdentifierPhone):
		required = append(required, settings.IdentifierPhone)
	}
	for _, sec := range sie.SignUp.SecondaryIdentifiers {
		required = append(required, sec.Identifier)
	}
	if sie.SignUp.Password {
		required = append(required, "password")
	}
	var missing []string
	for _, field := range required {
		if !has(field) && !slices.Contains(missing, field) {
			missing = append(missing, field)
		}
	}
	if register && missingExtraProfile(sie.SignUpProfileFields, u, p) {
		missing = append(missing, "extraProfile")
	}
	return missing
}

// profileExempt reports that the mandatory profile is not asked for
// (docs/experience.md, Profile): never with an enterprise SSO identity, and
// not with a social one when socialSignIn.skipRequiredIdentifiers is set;
// the identity staged, or proved by a verified record of the interaction.
func profileExempt(s State, sie *settings.SignInExperience, p *Profile) bool {
	kinds := map[string]bool{}
	if p.Identity != nil {
		kinds[p.Identity.Kind] = true
	}
	for _, r := range s.Records {
		if f, ok := r.(Federated); ok && r.Base().Verified {
			kinds[f.FederatedIdentity().Kind] = true
		}
	}
	return kinds[user.KindSSO] || kinds[user.KindSocial] && sie.SocialSignIn.SkipRequiredIdentifiers
}

func hasIdentity(u *user.State, kind string) bool {
	for _, id := range u.Identities {
		if id.Kind == kind {
			return true
		}
	}
	return false
}

func has2(u *user.State, p *Profile) bool {
	return u != nil && (u.PrimaryEmail != "" || u.PrimaryPhone != "") ||
		p.PrimaryEmail != nil && *p.PrimaryEmail != "" || p.PrimaryPhone != nil && *p.PrimaryPhone != ""
}

// missingExtraProfile: before extraProfile was submitted every configured
// field is needed; afterwards only the required ones.
func missingExtraProfile(fields []settings.ProfileField, u *user.State, p *Profile) bool {
	for _, f := range fields {
		if p.Submitted && !f.Required {
			continue
		}
		if !hasExtraField(f.Name, u, p) {
			return true
		}
	}
	return false
}

func hasExtraField(name string, u *user.State, p *Profile) bool {
	switch name {
	case "name":
		return u != nil && u.Name != "" || p.Name != nil && *p.Name != ""
	case "avatar":
		return u != nil && u.Avatar != "" || p.Avatar != nil && *p.Avatar != ""
	}
	if _, ok := p.Profile[name]; ok {
		return true
	}
	if _, ok := p.CustomData[name]; ok {
		return true
	}
	if u != nil {
		if _, ok := u.Profile[name]; ok {
			return true
		}
		if _, ok := u.CustomData[name]; ok {
			return true
		}
	}
	return false
}
