// Package user is the user aggregate: identifiers, password digest, profile,
// custom data, status and MFA configuration, folded from user events.
package user

import (
	"maps"
	"time"

	"github.com/authtrail/authtrail/domain"
)

// State is a user as of its last event.
type State struct {
	ID                string
	Exists            bool
	Username          string
	PrimaryEmail      string
	PrimaryPhone      string
	PasswordDigest    string
	PasswordUpdatedAt time.Time
	Name              string
	Avatar            string
	Profile           map[string]any
	CustomData        map[string]any
	Suspended         bool
	CreatedAt         time.Time
	MFA               MFAConfig
	Factors           []Factor
	// Identities are the linked social and enterprise SSO identities.
	Identities []Identity
	// TempToken is the MFA API's temporary token (OneLogin's mfa_token),
	// the last one issued; zero when none was.
	TempToken TempToken
	// Uses are the last verifications recorded on the user alone (Use),
	// at most MaxUses.
	Uses []Use
}

// MFAConfig mirrors Logto's logtoConfig.mfa.
type MFAConfig struct {
	Enabled                            *bool
	Skipped                            bool
	AdditionalBindingSuggestionSkipped bool
}

// HasPassword reports whether the user can sign in with a password.
func (s *State) HasPassword() bool { return s.PasswordDigest != "" }

// Fold rebuilds a user from its events, oldest first.
func Fold(events []domain.Event) State {
	var s State
	for _, ev := range events {
		s.Apply(ev)
	}
	return s
}

// Apply evolves the state by one event.
func (s *State) Apply(ev domain.Event) {
	if s.applyMFA(ev) {
		return
	}
	switch e := ev.(type) {
	case *Registered:
		off := false
		*s = State{
			ID: e.UserID, Exists: true, Username: e.Username, PrimaryEmail: e.PrimaryEmail,
			PrimaryPhone: e.PrimaryPhone, PasswordDigest: e.PasswordDigest, Name: e.Name, Avatar: e.Avatar,
			Profile: maps.Clone(e.Profile), CustomData: maps.Clone(e.CustomData), CreatedAt: e.CreatedAt,
			MFA: MFAConfig{Enabled: &off},
		}
		if e.PasswordDigest != "" {
			s.PasswordUpdatedAt = e.CreatedAt
		}
	case *ProfileUpdated:
		setIf(&s.Username, e.Username)
		setIf(&s.PrimaryEmail, e.PrimaryEmail)
		setIf(&s.PrimaryPhone, e.PrimaryPhone)
		setIf(&s.Name, e.Name)
		setIf(&s.Avatar, e.Avatar)
		s.Profile = mergeMaps(s.Profile, e.Profile)
		s.CustomData = mergeMaps(s.CustomData, e.CustomData)
	case *IdentityLinked:
		s.linkIdentity(e.Identity)
	case *PasswordChanged:
		s.PasswordDigest = e.Digest
		if e.Reason != PasswordRehash {
			s.PasswordUpdatedAt = e.At
		}
	case *MFAConfigUpdated:
		if e.Enabled != nil {
			v := *e.Enabled
			s.MFA.Enabled = &v
		}
		if e.Skipped != nil {
			s.MFA.Skipped = *e.Skipped
		}
		if e.AdditionalBindingSuggestionSkipped != nil {
			s.MFA.AdditionalBindingSuggestionSkipped = *e.AdditionalBindingSuggestionSkipped
		}
	case *Suspended:
		s.Suspended = true
	case *Reinstated:
		s.Suspended = false
	}
}

func setIf(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

func mergeMaps(dst, src map[string]any) map[string]any {
	if len(src) == 0 {
		return dst
	}
	out := maps.Clone(dst)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, src)
	return out
}
