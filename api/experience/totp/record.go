package totp

import (
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/user"
)

// RecordType is the wire type of the method's record.
const RecordType = "Totp"

// AMR: a one-time password of the user's factor; a code of a secret being
// bound authenticates no one.
func (r Record) AMR() string {
	if r.NewSecret != nil {
		return ""
	}
	return "otp"
}

// Record is a TOTP record of the identified user: either a new secret being
// bound (NewSecret set, verified once a code of it matched) or a
// verification of the user's TOTP factor (FactorID set).
type Record struct {
	interaction.RecordBase
	NewSecret *user.Sealed
	FactorID  string
}

var (
	_ interaction.MFAProof = Record{}
	_ interaction.Bindable = Record{}
)

// ProvesFactor: a verification of the user's TOTP proves it; a binding
// proves nothing yet.
func (r Record) ProvesFactor() string {
	if r.NewSecret != nil {
		return ""
	}
	return user.FactorTotp
}

// StageBinding stages the new secret as the user's TOTP factor.
func (r Record) StageBinding(s *interaction.State) {
	s.MFA.StageFactor(user.Factor{Type: user.FactorTotp, Secret: r.NewSecret})
}

// SecretCreated starts binding a new TOTP: a Totp record with the sealed
// secret.
type SecretCreated struct {
	VerificationID string      `json:"verificationId"`
	UserID         string      `json:"userId"`
	Secret         user.Sealed `json:"secret"`
}

// Verified verifies a Totp record: the new secret of a binding, or the
// user's existing TOTP (then with the factor; the step's use is recorded
// on the user alone and the interaction folds this event from there
// without writing it, Adopted).
type Verified struct {
	VerificationID string `json:"verificationId"`
	UserID         string `json:"userId"`
	FactorID       string `json:"factorId,omitempty"`
}

func (SecretCreated) EventType() string { return "interaction.totp.secret_created" }
func (Verified) EventType() string      { return "interaction.totp.verified" }

// ApplyTo puts the binding record.
func (e *SecretCreated) ApplyTo(s *interaction.State) {
	secret := e.Secret
	s.PutRecord(Record{RecordBase: interaction.RecordBase{ID: e.VerificationID, Type: RecordType, UserID: e.UserID}, NewSecret: &secret})
}

// ApplyTo verifies the binding record, or puts a verification of the
// user's factor.
func (e *Verified) ApplyTo(s *interaction.State) {
	updated := s.UpdateRecord(e.VerificationID, func(r interaction.Record) interaction.Record {
		if rec, ok := r.(Record); ok {
			rec.Verified = true
			return rec
		}
		return r
	})
	if !updated {
		s.PutRecord(Record{RecordBase: interaction.RecordBase{ID: e.VerificationID, Type: RecordType, UserID: e.UserID, Verified: true}, FactorID: e.FactorID})
	}
}

// Events decodes the method's events.
var Events = domain.Registry{
	"interaction.totp.secret_created": func() domain.Event { return &SecretCreated{} },
	"interaction.totp.verified":       func() domain.Event { return &Verified{} },
}
