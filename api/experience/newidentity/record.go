package newidentity

import (
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
)

// RecordType is the wire type of the method's record.
const RecordType = "NewPasswordIdentity"

// AMR: the new identity's password.
func (Record) AMR() string { return "pwd" }

// Record is a free username and the digest of an accepted password. It
// cannot sign in; a Register identification creates the user from it.
type Record struct {
	interaction.RecordBase
	PasswordDigest string
}

var _ interaction.ProfileSource = Record{}

// ProfileType: no POST /profile type stages it; registration does.
func (Record) ProfileType() string { return "" }

// Profile is the username and the password digest.
func (r Record) Profile() *interaction.ProfileStaged {
	name, digest := r.Identifier.Value, r.PasswordDigest
	return &interaction.ProfileStaged{Username: &name, PasswordDigest: &digest}
}

// Verified stores a NewPasswordIdentity record.
type Verified struct {
	VerificationID string `json:"verificationId"`
	Username       string `json:"username"`
	PasswordDigest string `json:"passwordDigest"`
}

func (Verified) EventType() string { return "interaction.new_password_identity.verified" }

// ApplyTo puts the record.
func (e *Verified) ApplyTo(s *interaction.State) {
	id := interaction.Identifier{Type: settings.IdentifierUsername, Value: e.Username}
	s.PutRecord(Record{RecordBase: interaction.RecordBase{ID: e.VerificationID, Type: RecordType, Identifier: &id, Verified: true},
		PasswordDigest: e.PasswordDigest})
}

// Events decodes the method's events.
var Events = domain.Registry{
	"interaction.new_password_identity.verified": func() domain.Event { return &Verified{} },
}
