package interaction

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// PasswordAttempt is everything a password verification decides on.
type PasswordAttempt struct {
	VerificationID string
	Identifier     Identifier
	User           *user.State // nil when no user owns the identifier
	Matched        bool        // the password matched the user's digest
	Sentinel       sentinel.State
	Policy         sentinel.Policy
	Expiration     settings.PasswordExpiration
	Now            time.Time
}

// Outcome is a decision that writes to the interaction and to other aggregates.
type Outcome struct {
	Interaction []domain.Event
	Sentinel    []domain.Event
	User        []domain.Event
	Err         error
}

// VerifyPassword decides a password verification (experience spec §1.10):
// credentials, suspension, the sentinel (which blocks even a right password),
// then expiry, which the sentinel does not count.
func VerifyPassword(a PasswordAttempt) Outcome {
	var failure *domain.Error
	switch {
	case a.User == nil || !a.User.Exists || !a.User.HasPassword() || !a.Matched:
		failure = domain.E("session.invalid_credentials")
	case a.User.Suspended:
		failure = domain.E("user.suspended")
	}
	blocked, sentinelEvents := sentinel.Decide(a.Sentinel, a.Policy, "Password", failure != nil, a.Now)
	if blocked {
		until := a.Sentinel.LockedUntil()
		if locked := lockUntil(sentinelEvents); !locked.IsZero() {
			until = locked
		}
		failure = domain.E("session.verification_blocked_too_many_attempts").
			WithData(map[string]any{"lockedUntil": until})
	}
	if failure == nil {
		failure = checkExpiration(a.User, a.Expiration, a.Now)
	}
	if failure != nil {
		return Outcome{
			Interaction: []domain.Event{&PasswordFailed{Identifier: a.Identifier, Reason: failure.Code}},
			Sentinel:    sentinelEvents,
			Err:         failure,
		}
	}
	return Outcome{Interaction: []domain.Event{&PasswordVerified{
		VerificationID: a.VerificationID, Identifier: a.Identifier, UserID: a.User.ID,
	}}}
}

func lockUntil(events []domain.Event) time.Time {
	for _, ev := range events {
		if l, ok := ev.(*sentinel.Locked); ok {
			return l.Until
		}
	}
	return time.Time{}
}

// checkExpiration applies passwordExpiration (experience spec §2.10).
func checkExpiration(u *user.State, p settings.PasswordExpiration, now time.Time) *domain.Error {
	if !p.Enabled {
		return nil
	}
	if p.ValidPeriodDays < 1 {
		return domain.E("sign_in_experiences.password_expiration_invalid_period_days")
	}
	ref := u.PasswordUpdatedAt
	if ref.IsZero() && p.EnabledAt > 0 {
		ref = time.UnixMilli(p.EnabledAt)
	}
	if ref.IsZero() {
		ref = u.CreatedAt
	}
	if !now.Before(ref.Add(time.Duration(p.ValidPeriodDays) * 24 * time.Hour)) {
		return domain.E("password.expired")
	}
	return nil
}

// VerifyNewPasswordIdentity decides a username + password record for
// registration (experience spec §1.11): the username must be free and the
// password must pass the policy, with the username as user info.
func VerifyNewPasswordIdentity(verificationID, username, pw string, taken bool, pws Passwords) ([]domain.Event, error) {
	if taken {
		return nil, domain.E("user.username_already_in_use")
	}
	if issues := pws.Issues(pw, userInfo(nil, &Profile{Username: &username})); len(issues) > 0 {
		return nil, domain.E("password.rejected").WithData(issues)
	}
	digest, err := pws.Digest(pw)
	if err != nil {
		return nil, err
	}
	return []domain.Event{&NewPasswordIdentityVerified{
		VerificationID: verificationID, Username: username, PasswordDigest: digest,
	}}, nil
}
