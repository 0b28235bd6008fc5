package interaction

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// Code template types (experience spec §2.9).
const (
	TemplateSignIn         = "SignIn"
	TemplateRegister       = "Register"
	TemplateForgotPassword = "ForgotPassword"
	TemplateBindMfa        = "BindMfa"
)

// RecordTypeFor is the code record type of an identifier type.
func RecordTypeFor(identifierType string) string {
	if identifierType == settings.IdentifierPhone {
		return RecordPhoneCode
	}
	return RecordEmailCode
}

// CodePlan is how a code request will be handled: which template, and
// whether delivery is suppressed to avoid telling who has an account.
type CodePlan struct {
	Template   string
	Suppressed bool
}

// CodeRequest holds the facts a code request decides on.
type CodeRequest struct {
	Identifier Identifier
	Event      string // the body's interactionEvent, independent of the interaction's
	UserExists bool   // a user owns the identifier
	// EmailViolation is the email blocklist's refusal (nil: allowed).
	EmailViolation *domain.Error
}

// PlanCode applies steps 2–4 of experience spec §1.12: template choice, the
// email blocklist for registrations, and delivery suppression.
func PlanCode(s State, sie *settings.SignInExperience, req CodeRequest) (CodePlan, error) {
	plan := CodePlan{Template: req.Event}
	if s.Identified() && !sie.IsSignUpIdentifier(req.Identifier.Type) {
		plan.Template = TemplateBindMfa
	}
	if req.Event == settings.EventRegister && req.Identifier.Type == settings.IdentifierEmail && req.EmailViolation != nil {
		return CodePlan{}, req.EmailViolation
	}
	switch {
	case req.Event == settings.EventForgotPassword && !req.UserExists:
		plan.Suppressed = true
	case req.Event == settings.EventSignIn && !s.Identified() && sie.SignInMode == settings.ModeSignIn && !req.UserExists:
		plan.Suppressed = true
	}
	return plan, nil
}

// CodeAttempt holds the facts a code verification decides on.
type CodeAttempt struct {
	// RecordType is the code record's type (default: from the identifier type).
	RecordType     string
	VerificationID string
	Identifier     Identifier
	Code           string
	// Matches compares the submitted code with a record's digest (constant time).
	Matches        func(code.Digest) bool
	Policy         settings.VerificationCodePolicy
	Sentinel       sentinel.State
	SentinelPolicy sentinel.Policy
	Now            time.Time
}

// VerifyCode decides a code verification (experience spec §1.13): checks in
// the spec's order, the attempt limit counted before the comparison, and the
// sentinel shared with passwords.
func VerifyCode(s State, a CodeAttempt) Outcome {
	recordType := a.RecordType
	if recordType == "" {
		recordType = RecordTypeFor(a.Identifier.Type)
	}
	rec, ok := s.Record(a.VerificationID)
	if !ok || rec.Type != recordType {
		return Outcome{Err: domain.E("session.verification_session_not_found")}
	}
	failure := checkCode(s, rec, a)
	blocked, sentinelEvents := sentinel.Decide(a.Sentinel, a.SentinelPolicy, "VerificationCode", failure != nil, a.Now)
	if blocked {
		failure = domain.E("session.verification_blocked_too_many_attempts")
	}
	if failure != nil {
		return Outcome{
			Interaction: []domain.Event{&CodeFailed{VerificationID: rec.ID, Identifier: a.Identifier, Reason: failure.Code}},
			Sentinel:    sentinelEvents,
			Err:         failure,
		}
	}
	return Outcome{Interaction: []domain.Event{&CodeVerified{VerificationID: rec.ID}}}
}

func checkCode(s State, rec Record, a CodeAttempt) *domain.Error {
	switch {
	case a.Code == "" || rec.Consumed:
		return domain.E("verification_code.not_found")
	case !sameIdentifier(*rec.Identifier, a.Identifier):
		if a.Identifier.Type == settings.IdentifierPhone {
			return domain.E("verification_code.phone_mismatch")
		}
		return domain.E("verification_code.email_mismatch")
	case !a.Now.Before(rec.ExpiresAt):
		return domain.E("verification_code.expired")
	case s.codeFailures[codeFailureKey(a.Identifier)] >= a.Policy.MaxRetryAttempts:
		return domain.E("verification_code.exceed_max_try")
	case !a.Matches(rec.Digest):
		return domain.E("verification_code.code_mismatch")
	}
	return nil
}

func sameIdentifier(a, b Identifier) bool {
	return a.Type == b.Type && normalizeIdentifier(a) == normalizeIdentifier(b)
}

func normalizeIdentifier(id Identifier) string {
	if id.Type == settings.IdentifierPhone {
		return user.CanonicalPhone(id.Value)
	}
	return user.NormalizeEmail(id.Value)
}

func codeFailureKey(id Identifier) string { return id.Type + ":" + normalizeIdentifier(id) }
