package password

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// Attempt is everything a password verification decides on.
type Attempt struct {
	VerificationID string
	Identifier     interaction.Identifier
	User           *user.State // nil when no user owns the identifier
	Matched        bool        // the password matched the user's digest
	Sentinel       sentinel.State
	Policy         sentinel.Policy
	Expiration     settings.PasswordExpiration
	Now            time.Time
}

// Verify decides a password verification (docs/experience.md, Passwords):
// credentials, suspension, the sentinel (which blocks even a right
// password), then expiry, which the sentinel does not count.
func Verify(a Attempt) interaction.Outcome {
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
		if locked := interaction.LockUntil(sentinelEvents); !locked.IsZero() {
			until = locked
		}
		failure = domain.E("session.verification_blocked_too_many_attempts").
			WithData(map[string]any{"lockedUntil": until})
	}
	if failure == nil {
		failure = checkExpiration(a.User, a.Expiration, a.Now)
	}
	if failure != nil {
		return interaction.Outcome{
			Interaction: []domain.Event{&Failed{Identifier: a.Identifier, Reason: failure.Code}},
			Sentinel:    sentinelEvents,
			Err:         failure,
		}
	}
	return interaction.Outcome{Interaction: []domain.Event{&Verified{
		VerificationID: a.VerificationID, Identifier: a.Identifier, UserID: a.User.ID,
	}}}
}

// checkExpiration applies passwordExpiration (docs/experience.md, Passwords).
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
