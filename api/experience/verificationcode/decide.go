package verificationcode

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/settings"
)

// Template types (docs/experience.md, Verification codes).
const (
	TemplateBindMfa         = "BindMfa"
	TemplateMfaVerification = "MfaVerification"
)

// RecordTypeFor is the code record type of an identifier type.
func RecordTypeFor(identifierType string) string {
	if identifierType == settings.IdentifierPhone {
		return RecordPhone
	}
	return RecordEmail
}

// Plan is how a code request will be handled: which template, and whether
// delivery is suppressed to avoid telling who has an account.
type Plan struct {
	Template   string
	Suppressed bool
}

// Request holds the facts a code request decides on.
type Request struct {
	Identifier interaction.Identifier
	Event      string // the body's interactionEvent, independent of the interaction's
	UserExists bool   // a user owns the identifier
	// EmailViolation is the email blocklist's refusal (nil: allowed).
	EmailViolation *domain.Error
}

// PlanCode applies the rules of a send (docs/experience.md, Verification
// codes): template choice,
// the email blocklist for registrations, and delivery suppression.
func PlanCode(s interaction.State, sie *settings.SignInExperience, req Request) (Plan, error) {
	plan := Plan{Template: req.Event}
	if s.Identified() && !sie.IsSignUpIdentifier(req.Identifier.Type) {
		plan.Template = TemplateBindMfa
	}
	if req.Event == settings.EventRegister && req.Identifier.Type == settings.IdentifierEmail && req.EmailViolation != nil {
		return Plan{}, req.EmailViolation
	}
	switch {
	case req.Event == settings.EventForgotPassword && !req.UserExists:
		plan.Suppressed = true
	case req.Event == settings.EventSignIn && !s.Identified() && sie.SignInMode == settings.ModeSignIn && !req.UserExists:
		plan.Suppressed = true
	}
	return plan, nil
}

// Attempt holds the facts a code verification decides on.
type Attempt struct {
	// RecordType is the code record's type (default: from the identifier type).
	RecordType     string
	VerificationID string
	Identifier     interaction.Identifier
	Code           string
	// Matches compares the submitted code with a record's digest (constant time).
	Matches        func(code.Digest) bool
	Policy         settings.VerificationCodePolicy
	Sentinel       sentinel.State
	SentinelPolicy sentinel.Policy
	Now            time.Time
}

// VerifyCode decides a code verification (docs/experience.md, Verification codes): checks in
// the spec's order, the attempt limit counted before the comparison, and the
// sentinel shared with passwords.
func VerifyCode(s interaction.State, a Attempt) interaction.Outcome {
	recordType := a.RecordType
	if recordType == "" {
		recordType = RecordTypeFor(a.Identifier.Type)
	}
	base, c, ok := codeRecord(s, a.VerificationID)
	if !ok || base.Type != recordType {
		return interaction.Outcome{Err: domain.E("session.verification_session_not_found")}
	}
	failure := checkCode(s, base, c, a)
	blocked, sentinelEvents := sentinel.Decide(a.Sentinel, a.SentinelPolicy, "VerificationCode", failure != nil, a.Now)
	if blocked {
		failure = domain.E("session.verification_blocked_too_many_attempts")
	}
	if failure != nil {
		return interaction.Outcome{
			Interaction: []domain.Event{&Failed{VerificationID: base.ID, Identifier: a.Identifier, Reason: failure.Code}},
			Sentinel:    sentinelEvents,
			Err:         failure,
		}
	}
	return interaction.Outcome{Interaction: []domain.Event{&Verified{VerificationID: base.ID}}}
}

// codeRecord finds a code record of either kind.
func codeRecord(s interaction.State, id string) (interaction.RecordBase, Code, bool) {
	switch r, _ := s.Record(id); r := r.(type) {
	case Record:
		return r.RecordBase, r.Code, true
	case MFARecord:
		return r.RecordBase, r.Code, true
	}
	return interaction.RecordBase{}, Code{}, false
}

func checkCode(s interaction.State, rec interaction.RecordBase, c Code, a Attempt) *domain.Error {
	switch {
	case a.Code == "" || c.Consumed:
		return domain.E("verification_code.not_found")
	case !sameIdentifier(*rec.Identifier, a.Identifier):
		if a.Identifier.Type == settings.IdentifierPhone {
			return domain.E("verification_code.phone_mismatch")
		}
		return domain.E("verification_code.email_mismatch")
	case !a.Now.Before(c.ExpiresAt):
		return domain.E("verification_code.expired")
	case s.Count(failureKey(a.Identifier)) >= a.Policy.MaxRetryAttempts:
		return domain.E("verification_code.exceed_max_try")
	case !a.Matches(c.Digest):
		return domain.E("verification_code.code_mismatch")
	}
	return nil
}

func sameIdentifier(a, b interaction.Identifier) bool {
	return a.Type == b.Type && normalize(a) == normalize(b)
}
