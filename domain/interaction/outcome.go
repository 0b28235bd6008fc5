package interaction

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/sentinel"
)

// Outcome is a verification's decision that writes to the interaction and
// to other aggregates. With Err set, every event in it is a failure event
// (the refusal's trail, domain.Failure); otherwise they are the success,
// and User holds claims (domain.Claim), committed ahead of the rest.
type Outcome struct {
	Interaction []domain.Event
	Sentinel    []domain.Event
	User        []domain.Event
	Err         error
}

// Attempt carries the sentinel facts of a verification.
type Attempt struct {
	Sentinel sentinel.State
	Policy   sentinel.Policy
	Now      time.Time
}

// RequireIdentified refuses a step that needs the identified user.
func RequireIdentified(s State) error {
	if !s.Identified() {
		return domain.E("session.identifier_not_found")
	}
	return nil
}

// SettleMFA runs the sentinel over an MFA verification (action names it in
// the sentinel's events) and builds the outcome: success, ok's refusal, or
// the lockout, which blocks even a right code.
func SettleMFA(a Attempt, action, factor string, ok bool, refusal *domain.Error, success func() Outcome) Outcome {
	blocked, sentinelEvents := sentinel.Decide(a.Sentinel, a.Policy, action, !ok, a.Now)
	var failure *domain.Error
	switch {
	case blocked:
		failure = domain.E("session.verification_blocked_too_many_attempts")
	case !ok:
		failure = refusal
	}
	if failure != nil {
		return Outcome{
			Interaction: []domain.Event{&MFAVerificationFailed{Factor: factor, Reason: failure.Code}},
			Sentinel:    sentinelEvents, Err: failure,
		}
	}
	return success()
}

// LockUntil is when the lock among a sentinel decision's events ends, or
// zero.
func LockUntil(events []domain.Event) time.Time {
	for _, ev := range events {
		if l, ok := ev.(*sentinel.Locked); ok {
			return l.Until
		}
	}
	return time.Time{}
}
