package user

import (
	"time"

	"github.com/authtrail/authtrail/domain"
)

// AggregateType names the user aggregate in subjects: events.user.<id>.
const AggregateType = "user"

// Registered creates a user. Secrets appear only as digests.
type Registered struct {
	UserID         string         `json:"userId"`
	Username       string         `json:"username,omitempty"`
	PrimaryEmail   string         `json:"primaryEmail,omitempty"`
	PrimaryPhone   string         `json:"primaryPhone,omitempty"`
	PasswordDigest string         `json:"passwordDigest,omitempty"`
	Name           string         `json:"name,omitempty"`
	Avatar         string         `json:"avatar,omitempty"`
	Profile        map[string]any `json:"profile,omitempty"`
	CustomData     map[string]any `json:"customData,omitempty"`
	CreatedAt      time.Time      `json:"createdAt"`
	// InteractionID is the registration interaction, for audit.
	InteractionID string `json:"interactionId,omitempty"`
}

// ProfileUpdated applies staged profile data; nil fields are unchanged.
type ProfileUpdated struct {
	Username      *string        `json:"username,omitempty"`
	PrimaryEmail  *string        `json:"primaryEmail,omitempty"`
	PrimaryPhone  *string        `json:"primaryPhone,omitempty"`
	Name          *string        `json:"name,omitempty"`
	Avatar        *string        `json:"avatar,omitempty"`
	Profile       map[string]any `json:"profile,omitempty"`
	CustomData    map[string]any `json:"customData,omitempty"`
	InteractionID string         `json:"interactionId,omitempty"`
}

// PasswordChanged replaces the password digest (set, reset or re-hash).
type PasswordChanged struct {
	Digest        string    `json:"digest"`
	Reason        string    `json:"reason"` // set | reset | rehash
	At            time.Time `json:"at"`
	InteractionID string    `json:"interactionId,omitempty"`
}

// MFAConfigUpdated persists the logtoConfig.mfa flags set at submit.
type MFAConfigUpdated struct {
	Enabled                            *bool `json:"enabled,omitempty"`
	Skipped                            *bool `json:"skipped,omitempty"`
	AdditionalBindingSuggestionSkipped *bool `json:"additionalBindingSuggestionSkipped,omitempty"`
}

// Suspended and Reinstated toggle the suspension flag.
type Suspended struct {
	Reason string `json:"reason,omitempty"`
}
type Reinstated struct{}

// Password change reasons.
const (
	PasswordSet    = "set"
	PasswordReset  = "reset"
	PasswordRehash = "rehash"
)

func (Registered) EventType() string       { return "user.registered" }
func (ProfileUpdated) EventType() string   { return "user.profile.updated" }
func (PasswordChanged) EventType() string  { return "user.password.changed" }
func (MFAConfigUpdated) EventType() string { return "user.mfa_config.updated" }
func (Suspended) EventType() string        { return "user.suspended" }
func (Reinstated) EventType() string       { return "user.reinstated" }

// Events decodes stored user events.
var Events = domain.Registry{
	"user.registered":         func() domain.Event { return &Registered{} },
	"user.profile.updated":    func() domain.Event { return &ProfileUpdated{} },
	"user.password.changed":   func() domain.Event { return &PasswordChanged{} },
	"user.mfa_config.updated": func() domain.Event { return &MFAConfigUpdated{} },
	"user.suspended":          func() domain.Event { return &Suspended{} },
	"user.reinstated":         func() domain.Event { return &Reinstated{} },
	"user.identity.linked":    func() domain.Event { return &IdentityLinked{} },

	"user.mfa.factor_added":               func() domain.Event { return &MFAFactorAdded{} },
	"user.mfa.factor_removed":             func() domain.Event { return &MFAFactorRemoved{} },
	"user.mfa.totp_used":                  func() domain.Event { return &TotpStepUsed{} },
	"user.mfa.webauthn_used":              func() domain.Event { return &WebAuthnUsed{} },
	"user.mfa.webauthn_counter_regressed": func() domain.Event { return &WebAuthnCounterRegressed{} },
	"user.mfa.backup_code_used":           func() domain.Event { return &BackupCodeUsed{} },
	"user.mfa.temp_token_issued":          func() domain.Event { return &TempTokenIssued{} },
	"user.mfa.temp_token_used":            func() domain.Event { return &TempTokenUsed{} },
}
