package backupcode

import (
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/user"
)

// RecordType is the wire type of the method's record.
const RecordType = "BackupCode"

// AMR: a backup code used is a one-time password; generated codes
// authenticate no one.
func (r Record) AMR() string {
	if r.FactorID == "" {
		return ""
	}
	return "otp"
}

// Record is a BackupCode record of the identified user: new codes to bind
// (their keyed hashes), or a verification that used one of the user's codes
// (FactorID set).
type Record struct {
	interaction.RecordBase
	Codes    []user.CodeHash
	FactorID string
}

var (
	_ interaction.MFAProof = Record{}
	_ interaction.Bindable = Record{}
)

// ProvesFactor: a used code proves the backup-code factor.
func (r Record) ProvesFactor() string {
	if r.FactorID != "" {
		return user.FactorBackupCode
	}
	return ""
}

// StageBinding stages the new codes; they replace the user's old ones.
func (r Record) StageBinding(s *interaction.State) {
	codes := make([]user.BackupCode, len(r.Codes))
	for i, h := range r.Codes {
		codes[i] = user.BackupCode{Hash: h}
	}
	s.MFA.StageFactor(user.Factor{Type: user.FactorBackupCode, Codes: codes})
}

// Generated creates a BackupCode record with the keyed hashes of new codes;
// the codes themselves are only in the response.
type Generated struct {
	VerificationID string          `json:"verificationId"`
	UserID         string          `json:"userId"`
	Codes          []user.CodeHash `json:"codes"`
}

// Verified stores a verified BackupCode record. A verify records the
// code's use on the user alone (Verify), and the interaction folds this
// event from there without writing it (Adopted); logs written before
// that hold it.
type Verified struct {
	VerificationID string `json:"verificationId"`
	UserID         string `json:"userId"`
	FactorID       string `json:"factorId"`
}

func (Generated) EventType() string { return "interaction.backup_codes.generated" }
func (Verified) EventType() string  { return "interaction.backup_code.verified" }

// ApplyTo puts the record of the new codes.
func (e *Generated) ApplyTo(s *interaction.State) {
	s.PutRecord(Record{RecordBase: interaction.RecordBase{ID: e.VerificationID, Type: RecordType, UserID: e.UserID}, Codes: e.Codes})
}

// ApplyTo puts the verification's record.
func (e *Verified) ApplyTo(s *interaction.State) {
	s.PutRecord(Record{RecordBase: interaction.RecordBase{ID: e.VerificationID, Type: RecordType, UserID: e.UserID, Verified: true}, FactorID: e.FactorID})
}

// Events decodes the method's events.
var Events = domain.Registry{
	"interaction.backup_codes.generated": func() domain.Event { return &Generated{} },
	"interaction.backup_code.verified":   func() domain.Event { return &Verified{} },
}
