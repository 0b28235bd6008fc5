package password

import (
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
)

// RecordType is the wire type of the method's record.
const RecordType = "Password"

// AMR: a password.
func (Record) AMR() string { return "pwd" }

// Record is a verified password: the identifier typed and the user it
// belongs to.
type Record struct {
	interaction.RecordBase
}

var _ interaction.Identifying = Record{}

// CheckIdentify: a password identifies at SignIn when the identifier's
// sign-in method takes a password (docs/experience.md, Identification), never at ForgotPassword.
func (r Record) CheckIdentify(event string, sie *settings.SignInExperience) error {
	if event == settings.EventForgotPassword {
		return domain.E("session.not_supported_for_forgot_password@identification")
	}
	if method, ok := sie.SignInMethodFor(r.Identifier.Type); !ok || !method.Password {
		return domain.E("user.sign_in_method_not_enabled")
	}
	return nil
}

// Identifies is the user whose password matched.
func (r Record) Identifies() interaction.Identity { return interaction.Identity{UserID: r.UserID} }

// Verified stores a verified Password record.
type Verified struct {
	VerificationID string                 `json:"verificationId"`
	Identifier     interaction.Identifier `json:"identifier"`
	UserID         string                 `json:"userId"`
}

// Failed is the audit trail of a failed password verification. Reason is
// the error code answered (never the password).
type Failed struct {
	Identifier interaction.Identifier `json:"identifier"`
	Reason     string                 `json:"reason"`
}

func (Verified) EventType() string { return "interaction.password.verified" }
func (Failed) EventType() string   { return "interaction.password.failed" }
func (Failed) RecordsFailure()     {}

// RefusedWith is the error code answered.
func (e Failed) RefusedWith() string { return e.Reason }

// ApplyTo puts the record.
func (e *Verified) ApplyTo(s *interaction.State) {
	id := e.Identifier
	s.PutRecord(Record{interaction.RecordBase{ID: e.VerificationID, Type: RecordType, Identifier: &id, Verified: true, UserID: e.UserID}})
}

// Events decodes the method's events.
var Events = domain.Registry{
	"interaction.password.verified": func() domain.Event { return &Verified{} },
	"interaction.password.failed":   func() domain.Event { return &Failed{} },
}
