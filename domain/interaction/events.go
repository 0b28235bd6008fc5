package interaction

import (
	"time"

	"github.com/authtrail/authtrail/domain"
)

// AggregateType names interaction aggregates: events.interaction.<id>.
const AggregateType = "interaction"

// Identifier is what the user typed to identify themselves.
type Identifier struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Started begins, or restarts, an interaction: all earlier state is dropped.
type Started struct {
	Event     string    `json:"interactionEvent"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// EventSwitched changes the interaction event; the staged profile is reset.
type EventSwitched struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// PasswordVerified stores a verified Password record.
type PasswordVerified struct {
	VerificationID string     `json:"verificationId"`
	Identifier     Identifier `json:"identifier"`
	UserID         string     `json:"userId"`
}

// PasswordFailed is the audit trail of a failed password verification.
// Reason is the error code answered (never the password).
type PasswordFailed struct {
	Identifier Identifier `json:"identifier"`
	Reason     string     `json:"reason"`
}

// NewPasswordIdentityVerified stores a NewPasswordIdentity record: a free
// username and the digest of an accepted password.
type NewPasswordIdentityVerified struct {
	VerificationID string `json:"verificationId"`
	Username       string `json:"username"`
	PasswordDigest string `json:"passwordDigest"`
}

// Identified binds the interaction to an existing user.
type Identified struct {
	UserID         string `json:"userId"`
	VerificationID string `json:"verificationId"`
}

// UserRegistered binds a Register interaction to the user it just created.
type UserRegistered struct {
	UserID string `json:"userId"`
}

// ProfileStaged merges data into the staged profile; nil fields are unchanged.
type ProfileStaged struct {
	Username       *string        `json:"username,omitempty"`
	PrimaryEmail   *string        `json:"primaryEmail,omitempty"`
	PrimaryPhone   *string        `json:"primaryPhone,omitempty"`
	PasswordDigest *string        `json:"passwordDigest,omitempty"`
	Name           *string        `json:"name,omitempty"`
	Avatar         *string        `json:"avatar,omitempty"`
	Profile        map[string]any `json:"profile,omitempty"`
	CustomData     map[string]any `json:"customData,omitempty"`
	Submitted      bool           `json:"submitted,omitempty"`
}

// Submitted ends the interaction: a sign-in or registration completed, or a
// password was reset.
type Submitted struct {
	Event  string `json:"interactionEvent"`
	UserID string `json:"userId"`
}

// RequestFailed is the audit trail of any other refused request.
type RequestFailed struct {
	Step   string `json:"step"`
	Code   string `json:"code"`
	Status int    `json:"status"`
}

func (Started) EventType() string          { return "interaction.started" }
func (EventSwitched) EventType() string    { return "interaction.event.switched" }
func (PasswordVerified) EventType() string { return "interaction.password.verified" }
func (PasswordFailed) EventType() string   { return "interaction.password.failed" }
func (NewPasswordIdentityVerified) EventType() string {
	return "interaction.new_password_identity.verified"
}
func (Identified) EventType() string     { return "interaction.identified" }
func (UserRegistered) EventType() string { return "interaction.user.registered" }
func (ProfileStaged) EventType() string  { return "interaction.profile.staged" }
func (Submitted) EventType() string      { return "interaction.submitted" }
func (RequestFailed) EventType() string  { return "interaction.request.failed" }

// The failure events of the interaction (domain.Failure), and the staged
// profile a refused Register identification keeps (domain.Kept).
func (PasswordFailed) RecordsFailure() {}
func (RequestFailed) RecordsFailure()  {}
func (ProfileStaged) KeptOnRefusal()   {}

// Events decodes stored interaction events.
var Events = domain.Registry{
	"interaction.started":                        func() domain.Event { return &Started{} },
	"interaction.event.switched":                 func() domain.Event { return &EventSwitched{} },
	"interaction.password.verified":              func() domain.Event { return &PasswordVerified{} },
	"interaction.password.failed":                func() domain.Event { return &PasswordFailed{} },
	"interaction.new_password_identity.verified": func() domain.Event { return &NewPasswordIdentityVerified{} },
	"interaction.identified":                     func() domain.Event { return &Identified{} },
	"interaction.user.registered":                func() domain.Event { return &UserRegistered{} },
	"interaction.profile.staged":                 func() domain.Event { return &ProfileStaged{} },
	"interaction.submitted":                      func() domain.Event { return &Submitted{} },
	"interaction.request.failed":                 func() domain.Event { return &RequestFailed{} },
	"interaction.code.requested":                 func() domain.Event { return &CodeRequested{} },
	"interaction.code.sent":                      func() domain.Event { return &CodeSent{} },
	"interaction.code.delivery_failed":           func() domain.Event { return &CodeDeliveryFailed{} },
	"interaction.code.verified":                  func() domain.Event { return &CodeVerified{} },
	"interaction.code.failed":                    func() domain.Event { return &CodeFailed{} },
	"interaction.totp.secret_created":            func() domain.Event { return &TotpSecretCreated{} },
	"interaction.totp.verified":                  func() domain.Event { return &TotpVerified{} },
	"interaction.webauthn.challenged":            func() domain.Event { return &WebAuthnChallenged{} },
	"interaction.webauthn.registered":            func() domain.Event { return &WebAuthnRegistered{} },
	"interaction.webauthn.authenticated":         func() domain.Event { return &WebAuthnAuthenticated{} },
	"interaction.backup_codes.generated":         func() domain.Event { return &BackupCodesGenerated{} },
	"interaction.backup_code.verified":           func() domain.Event { return &BackupCodeVerified{} },
	"interaction.mfa.verification_failed":        func() domain.Event { return &MFAVerificationFailed{} },
	"interaction.mfa.bound":                      func() domain.Event { return &MFABound{} },
	"interaction.mfa.skipped":                    func() domain.Event { return &MFASkipped{} },
	"interaction.mfa.suggestion_skipped":         func() domain.Event { return &MFASuggestionSkipped{} },
}
