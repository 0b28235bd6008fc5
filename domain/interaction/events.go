package interaction

import (
	"strings"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// AggregateType names interaction aggregates: events.interaction.<id>.
const AggregateType = "interaction"

// Identifier is what the user typed to identify themselves.
type Identifier struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// WellFormed reports whether the value has the shape its type needs: an
// email address, or an E.164 phone number of digits only (at most 15). Usernames are the
// username policy's to judge, so any value passes here.
func (id Identifier) WellFormed() bool {
	switch id.Type {
	case settings.IdentifierEmail:
		return user.WellFormedEmail(id.Value)
	case settings.IdentifierPhone:
		return id.Value != "" && len(id.Value) <= user.MaxPhoneDigits && strings.Trim(id.Value, "0123456789") == ""
	}
	return true
}

// Started begins, or restarts, an interaction: all earlier state is dropped.
// The client is who started it and from where, for the audit.
type Started struct {
	Event     string    `json:"interactionEvent"`
	ExpiresAt time.Time `json:"expiresAt"`
	Client
	// Authorization is the OpenID Connect authorization request (grant id)
	// the interaction answers, when /oidc/auth started it; a restart keeps it.
	Authorization string `json:"authorization,omitempty"`
}

// Client is the sender of a request: its address (after trusted proxies)
// and its user agent.
type Client struct {
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
}

// EventSwitched changes the interaction event; the staged profile is reset.
type EventSwitched struct {
	From string `json:"from"`
	To   string `json:"to"`
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
	// Identity is a social or SSO identity to link to the user (at
	// registration, or at submit).
	Identity *user.Identity `json:"identity,omitempty"`
	// Offered marks the email and phone as offered by a provider rather
	// than asked for: a registration drops one another user owns instead
	// of refusing it (docs/experience.md, Registration).
	Offered bool `json:"offered,omitempty"`
}

// Submitted ends the interaction: a sign-in or registration completed, or a
// password was reset.
type Submitted struct {
	Event  string `json:"interactionEvent"`
	UserID string `json:"userId"`
	// Verifications are the verifications the interaction folded from the
	// user's log, where they alone are recorded (State.Adopt), so that the
	// interaction's own log says what completed it.
	Verifications []Verification `json:"verifications,omitempty"`
}

// A Verification names a verified record the interaction folded from the
// user's log: its id (the useId of the user's event), its record type and
// what it proves of how the user authenticated (an amr value, or "").
type Verification struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	AMR  string `json:"amr,omitempty"`
}

// RequestFailed is the audit trail of any other refused request.
type RequestFailed struct {
	Step   string `json:"step"`
	Code   string `json:"code"`
	Status int    `json:"status"`
}

// MFABound stages a verified factor for binding at submit (docs/experience.md, MFA binding): the
// record it names says what (Bindable).
type MFABound struct {
	Type           string `json:"type"`
	VerificationID string `json:"verificationId"`
}

// MFASkipped and MFASuggestionSkipped stage the user's choices (docs/experience.md,
// MFA policies and MFA fulfilment).
type MFASkipped struct{}
type MFASuggestionSkipped struct{}

// MFAVerificationFailed is the audit trail of a failed MFA verification,
// whatever the factor (SettleMFA).
type MFAVerificationFailed struct {
	Factor string `json:"factor"`
	Reason string `json:"reason"`
}

func (Started) EventType() string               { return "interaction.started" }
func (EventSwitched) EventType() string         { return "interaction.event.switched" }
func (Identified) EventType() string            { return "interaction.identified" }
func (UserRegistered) EventType() string        { return "interaction.user.registered" }
func (ProfileStaged) EventType() string         { return "interaction.profile.staged" }
func (Submitted) EventType() string             { return "interaction.submitted" }
func (RequestFailed) EventType() string         { return "interaction.request.failed" }
func (MFABound) EventType() string              { return "interaction.mfa.bound" }
func (MFASkipped) EventType() string            { return "interaction.mfa.skipped" }
func (MFASuggestionSkipped) EventType() string  { return "interaction.mfa.suggestion_skipped" }
func (MFAVerificationFailed) EventType() string { return "interaction.mfa.verification_failed" }

// The failure events of the interaction (domain.Failure), and the staged
// profile a refused Register identification keeps (domain.Kept).
func (RequestFailed) RecordsFailure()         {}
func (MFAVerificationFailed) RecordsFailure() {}

func (e RequestFailed) RefusedWith() string         { return e.Code }
func (e MFAVerificationFailed) RefusedWith() string { return e.Reason }
func (ProfileStaged) KeptOnRefusal()                {}

// CoreEvents decodes the interaction's own events; each authentication
// method adds the events of its records (experience.Method).
var CoreEvents = domain.Registry{
	"interaction.started":                 func() domain.Event { return &Started{} },
	"interaction.event.switched":          func() domain.Event { return &EventSwitched{} },
	"interaction.identified":              func() domain.Event { return &Identified{} },
	"interaction.user.registered":         func() domain.Event { return &UserRegistered{} },
	"interaction.profile.staged":          func() domain.Event { return &ProfileStaged{} },
	"interaction.submitted":               func() domain.Event { return &Submitted{} },
	"interaction.request.failed":          func() domain.Event { return &RequestFailed{} },
	"interaction.mfa.bound":               func() domain.Event { return &MFABound{} },
	"interaction.mfa.skipped":             func() domain.Event { return &MFASkipped{} },
	"interaction.mfa.suggestion_skipped":  func() domain.Event { return &MFASuggestionSkipped{} },
	"interaction.mfa.verification_failed": func() domain.Event { return &MFAVerificationFailed{} },
}
