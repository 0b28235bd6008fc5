package verificationcode

import (
	"slices"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// Record types: codes that identify or stage an email or phone, and codes
// sent to the identified user's own email or phone as an MFA factor.
const (
	RecordEmail    = "EmailVerificationCode"
	RecordPhone    = "PhoneVerificationCode"
	RecordMFAEmail = "MfaEmailVerificationCode"
	RecordMFAPhone = "MfaPhoneVerificationCode"
)

// Code is what a code record holds: the keyed hash to check a submitted
// code against, and the send.
type Code struct {
	Template  string
	Digest    code.Digest
	SendID    string
	ExpiresAt time.Time
	Consumed  bool
}

// Record is an email or phone code record. Verified, it identifies the
// owner of its identifier, stages the identifier in a profile, and binds it
// as an MFA factor.
type Record struct {
	interaction.RecordBase
	Code
}

var (
	_ interaction.Identifying   = Record{}
	_ interaction.ProfileSource = Record{}
	_ interaction.Bindable      = Record{}
	_ interaction.MFAProof      = MFARecord{}
)

// CheckIdentify: a code identifies at SignIn when the identifier's sign-in
// method takes verification codes, at ForgotPassword when the forgot
// password methods include it (docs/experience.md, Identification).
func (r Record) CheckIdentify(event string, sie *settings.SignInExperience) error {
	if event == settings.EventForgotPassword {
		if sie.ForgotPasswordMethods != nil && !slices.Contains(sie.ForgotPasswordMethods, r.Type) {
			return domain.E("session.not_supported_for_forgot_password@identification")
		}
		return nil
	}
	if method, ok := sie.SignInMethodFor(r.Identifier.Type); !ok || !method.VerificationCode {
		return domain.E("user.sign_in_method_not_enabled")
	}
	return nil
}

// Identifies is the owner of the identifier the code went to.
func (r Record) Identifies() interaction.Identity {
	return interaction.Identity{Kind: r.Identifier.Type, Value: r.Identifier.Value}
}

// AMR: a code to the email ("email") or the phone ("sms").
func (r Record) AMR() string {
	if r.Type == RecordPhone {
		return "sms"
	}
	return "email"
}

// AMR: a code to the user's email ("email") or phone ("sms").
func (r MFARecord) AMR() string {
	if r.Type == RecordMFAPhone {
		return "sms"
	}
	return "email"
}

// ProfileType is POST /profile's "email" or "phone".
func (r Record) ProfileType() string { return r.Identifier.Type }

// Profile is the email or phone.
func (r Record) Profile() *interaction.ProfileStaged {
	value := r.Identifier.Value
	if r.Type == RecordPhone {
		return &interaction.ProfileStaged{PrimaryPhone: &value}
	}
	return &interaction.ProfileStaged{PrimaryEmail: &value}
}

// StageBinding makes the bound email or phone count as this interaction's
// MFA verification of that factor.
func (r Record) StageBinding(s *interaction.State) {
	typ := RecordMFAEmail
	if r.Type == RecordPhone {
		typ = RecordMFAPhone
	}
	s.PutRecord(MFARecord{RecordBase: interaction.RecordBase{ID: r.ID + "-mfa", Type: typ, UserID: s.UserID, Verified: true}})
}

// MFARecord is a code sent to the identified user's own email or phone.
// Verified, it proves that MFA factor.
type MFARecord struct {
	interaction.RecordBase
	Code
}

// ProvesFactor is the email or phone factor.
func (r MFARecord) ProvesFactor() string {
	if r.Type == RecordMFAPhone {
		return user.FactorPhone
	}
	return user.FactorEmail
}

// Requested creates a code record and asks the delivery worker to send the
// code. The code itself is only here sealed under a per-send data key that
// the worker deletes once it delivered the code; the record keeps a keyed
// hash to check it.
type Requested struct {
	VerificationID string                 `json:"verificationId"`
	RecordType     string                 `json:"recordType"`
	Identifier     interaction.Identifier `json:"identifier"`
	Template       string                 `json:"templateType"`
	SendID         string                 `json:"sendId"`
	Digest         code.Digest            `json:"digest"`
	SealedCode     string                 `json:"sealedCode,omitempty"`
	ExpiresAt      time.Time              `json:"expiresAt"`
	// Suppressed: nothing is sent (docs/experience.md, Verification codes); the answer is the same.
	Suppressed bool `json:"suppressed,omitempty"`
}

// Sent is the delivery worker's report that the connector took the message.
type Sent struct {
	SendID  string `json:"sendId"`
	Channel string `json:"channel"`
}

// DeliveryFailed is the delivery worker's report that it gave up.
type DeliveryFailed struct {
	SendID string `json:"sendId"`
	Reason string `json:"reason"`
}

// Verified marks a code record verified and its code consumed.
type Verified struct {
	VerificationID string `json:"verificationId"`
}

// Failed records a failed code check; mismatches count towards
// maxRetryAttempts, and a resend does not reset the count.
type Failed struct {
	VerificationID string                 `json:"verificationId"`
	Identifier     interaction.Identifier `json:"identifier"`
	Reason         string                 `json:"reason"`
}

func (Requested) EventType() string      { return "interaction.code.requested" }
func (Sent) EventType() string           { return "interaction.code.sent" }
func (DeliveryFailed) EventType() string { return "interaction.code.delivery_failed" }
func (Verified) EventType() string       { return "interaction.code.verified" }
func (Failed) EventType() string         { return "interaction.code.failed" }
func (Failed) RecordsFailure()           {}

// RefusedWith is the error code answered.
func (e Failed) RefusedWith() string { return e.Reason }

// ApplyTo puts the code record of the request's type.
func (e *Requested) ApplyTo(s *interaction.State) {
	id := e.Identifier
	base := interaction.RecordBase{ID: e.VerificationID, Type: e.RecordType, Identifier: &id}
	c := Code{Template: e.Template, Digest: e.Digest, SendID: e.SendID, ExpiresAt: e.ExpiresAt}
	if e.RecordType == RecordMFAEmail || e.RecordType == RecordMFAPhone {
		base.UserID = s.UserID
		s.PutRecord(MFARecord{RecordBase: base, Code: c})
		return
	}
	s.PutRecord(Record{RecordBase: base, Code: c})
}

// ApplyTo verifies the record and consumes its code.
func (e *Verified) ApplyTo(s *interaction.State) {
	s.UpdateRecord(e.VerificationID, func(r interaction.Record) interaction.Record {
		switch r := r.(type) {
		case Record:
			r.Verified, r.Consumed = true, true
			return r
		case MFARecord:
			r.Verified, r.Consumed = true, true
			return r
		}
		return r
	})
}

// ApplyTo counts a mismatch against the identifier.
func (e *Failed) ApplyTo(s *interaction.State) {
	if e.Reason == mismatch {
		s.AddCount(failureKey(e.Identifier))
	}
}

// mismatch is the reason of a wrong code, the failure that counts.
var mismatch = domain.E("verification_code.code_mismatch").Code

// failureKey counts mismatches per identifier, across resends.
func failureKey(id interaction.Identifier) string { return "code:" + id.Type + ":" + normalize(id) }

func normalize(id interaction.Identifier) string {
	if id.Type == settings.IdentifierPhone {
		return user.CanonicalPhone(id.Value)
	}
	return user.NormalizeEmail(id.Value)
}

// CodeDelivery describes the send to the delivery worker.
func (e Requested) CodeDelivery() code.Delivery {
	return code.Delivery{SendID: e.SendID, Channel: Channel(e.RecordType), To: e.Identifier.Value,
		Template: e.Template, Sealed: e.SealedCode, ExpiresAt: e.ExpiresAt}
}

// DeliveryOutcome is the interaction's event for the worker's outcome: sent
// when reason is empty, else failed for reason.
func (e Requested) DeliveryOutcome(reason string) domain.Event {
	if reason == "" {
		return &Sent{SendID: e.SendID, Channel: Channel(e.RecordType)}
	}
	return &DeliveryFailed{SendID: e.SendID, Reason: reason}
}

// DeliveredSendID names the send an outcome reports on.
func (e Sent) DeliveredSendID() string           { return e.SendID }
func (e DeliveryFailed) DeliveredSendID() string { return e.SendID }

// Channel is the channel of a code record type: sms for phone codes,
// identification and MFA alike.
func Channel(recordType string) string {
	if recordType == RecordPhone || recordType == RecordMFAPhone {
		return code.ChannelSMS
	}
	return code.ChannelEmail
}

// Events decodes the method's events.
var Events = domain.Registry{
	"interaction.code.requested":       func() domain.Event { return &Requested{} },
	"interaction.code.sent":            func() domain.Event { return &Sent{} },
	"interaction.code.delivery_failed": func() domain.Event { return &DeliveryFailed{} },
	"interaction.code.verified":        func() domain.Event { return &Verified{} },
	"interaction.code.failed":          func() domain.Event { return &Failed{} },
}
