package password_test

import (
	"slices"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/experience/newidentity"
	"github.com/authtrail/authtrail/api/experience/password"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/interaction/interactiontest"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

var (
	t0      = interactiontest.T0
	given   = interactiontest.Given
	started = interactiontest.Started
	alice   = interactiontest.Alice
	types   = interactiontest.Types
)

func passwordRecord(id, userID string) domain.Event {
	return &password.Verified{VerificationID: id, Identifier: interaction.Identifier{Type: "username", Value: "alice"}, UserID: userID}
}

func TestVerifyPassword(t *testing.T) {
	policy := sentinel.Policy{MaxAttempts: 3, LockoutDuration: time.Hour}
	suspended := alice()
	suspended.Suspended = true
	twoFailures := sentinel.Fold([]domain.Event{&sentinel.AttemptFailed{At: t0}, &sentinel.AttemptFailed{At: t0}})
	locked := sentinel.Fold([]domain.Event{&sentinel.Locked{Until: t0.Add(time.Minute)}})
	expiring := settings.PasswordExpiration{Enabled: true, ValidPeriodDays: 1}
	tests := []struct {
		name         string
		user         *user.State
		matched      bool
		guard        sentinel.State
		expiration   settings.PasswordExpiration
		now          time.Time
		wantCode     string
		wantEvents   []string
		wantSentinel []string
	}{
		{"right password", alice(), true, sentinel.State{}, settings.PasswordExpiration{}, t0, "", []string{"interaction.password.verified"}, nil},
		{"wrong password", alice(), false, sentinel.State{}, settings.PasswordExpiration{}, t0, "session.invalid_credentials", []string{"interaction.password.failed"}, []string{"sentinel.attempt.failed"}},
		{"unknown user", nil, false, sentinel.State{}, settings.PasswordExpiration{}, t0, "session.invalid_credentials", []string{"interaction.password.failed"}, []string{"sentinel.attempt.failed"}},
		{"suspended with right password", suspended, true, sentinel.State{}, settings.PasswordExpiration{}, t0, "user.suspended", []string{"interaction.password.failed"}, []string{"sentinel.attempt.failed"}},
		{"third failure locks", alice(), false, twoFailures, settings.PasswordExpiration{}, t0, "session.verification_blocked_too_many_attempts", []string{"interaction.password.failed"}, []string{"sentinel.attempt.failed", "sentinel.locked"}},
		{"locked blocks the right password", alice(), true, locked, settings.PasswordExpiration{}, t0, "session.verification_blocked_too_many_attempts", []string{"interaction.password.failed"}, nil},
		{"expired password", alice(), true, sentinel.State{}, expiring, t0.Add(24 * time.Hour), "password.expired", []string{"interaction.password.failed"}, nil},
		{"not yet expired", alice(), true, sentinel.State{}, expiring, t0.Add(23 * time.Hour), "", []string{"interaction.password.verified"}, nil},
		{"invalid period", alice(), true, sentinel.State{}, settings.PasswordExpiration{Enabled: true}, t0, "sign_in_experiences.password_expiration_invalid_period_days", []string{"interaction.password.failed"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := password.Verify(password.Attempt{
				VerificationID: "v1", Identifier: interaction.Identifier{Type: "username", Value: "alice"},
				User: tt.user, Matched: tt.matched, Sentinel: tt.guard, Policy: policy, Expiration: tt.expiration, Now: tt.now,
			})
			if domain.Code(out.Err) != tt.wantCode {
				t.Fatalf("code = %q, want %q", domain.Code(out.Err), tt.wantCode)
			}
			if got := types(out.Interaction); !slices.Equal(got, tt.wantEvents) {
				t.Errorf("interaction events = %v, want %v", got, tt.wantEvents)
			}
			if got := types(out.Sentinel); !slices.Equal(got, tt.wantSentinel) {
				t.Errorf("sentinel events = %v, want %v", got, tt.wantSentinel)
			}
		})
	}
}

func TestIdentifyExisting(t *testing.T) {
	sie := settings.Default()
	noPassword := settings.Default()
	noPassword.SignIn.Methods = []settings.SignInMethod{{Identifier: "username", VerificationCode: true}}
	registerOnly := settings.Default()
	registerOnly.SignInMode = settings.ModeRegister
	suspended := alice()
	suspended.Suspended = true
	bob := user.Fold([]domain.Event{&user.Registered{UserID: "2", Username: "bob"}})
	newIdentity := &newidentity.Verified{VerificationID: "n1", Username: "carol", PasswordDigest: "d"}
	tests := []struct {
		name     string
		state    interaction.State
		sie      settings.SignInExperience
		vid      string
		user     *user.State
		wantCode string
		want     []string
	}{
		{"identifies", given(started("SignIn"), passwordRecord("v1", "1")), sie, "v1", alice(), "", []string{"interaction.identified"}},
		{"missing verificationId", given(started("SignIn")), sie, "", nil, "guard.invalid_input", nil},
		{"unknown record", given(started("SignIn")), sie, "nope", nil, "session.verification_session_not_found", nil},
		{"sign-in disabled by mode", given(started("SignIn"), passwordRecord("v1", "1")), registerOnly, "v1", alice(), "auth.forbidden", nil},
		{"password method disabled", given(started("SignIn"), passwordRecord("v1", "1")), noPassword, "v1", alice(), "user.sign_in_method_not_enabled", nil},
		{"new identity cannot sign in", given(started("SignIn"), newIdentity), sie, "n1", nil, "user.sign_in_method_not_enabled", nil},
		{"password record in forgot password", given(started("ForgotPassword"), passwordRecord("v1", "1")), sie, "v1", alice(), "session.not_supported_for_forgot_password", nil},
		{"user gone", given(started("SignIn"), passwordRecord("v1", "1")), sie, "v1", nil, "user.user_not_exist", nil},
		{"suspended", given(started("SignIn"), passwordRecord("v1", "1")), sie, "v1", suspended, "user.suspended", nil},
		{"same user again is a no-op", given(started("SignIn"), passwordRecord("v1", "1"), &interaction.Identified{UserID: "1"}), sie, "v1", alice(), "", nil},
		{"another user", given(started("SignIn"), passwordRecord("v1", "2"), &interaction.Identified{UserID: "1"}), sie, "v1", &bob, "session.identity_conflict", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := interaction.IdentifyExisting(tt.state, &tt.sie, tt.vid, tt.user)
			if domain.Code(err) != tt.wantCode || !slices.Equal(types(evs), tt.want) {
				t.Fatalf("got %v %v, want %q %v", types(evs), err, tt.wantCode, tt.want)
			}
		})
	}
	_, err := interaction.IdentifyExisting(given(started("ForgotPassword"), passwordRecord("v1", "1")), &sie, "v1", alice())
	if e, _ := domain.AsError(err); e.Status != 422 {
		t.Errorf("forgot-password identification status = %d, want 422", e.Status)
	}
}
