package interaction_test

import (
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// fakePasswords treats "digest:<pw>" as the digest of pw and rejects "weak".
type fakePasswords struct{ hashed int }

func (f *fakePasswords) Issues(pw string, _ password.UserInfo) []password.Issue {
	if pw == "weak" {
		return []password.Issue{{Code: "password_rejected.too_short"}}
	}
	return nil
}
func (f *fakePasswords) Matches(pw, digest string) bool { return digest == "digest:"+pw }
func (f *fakePasswords) Digest(pw string) (string, error) {
	f.hashed++
	return "digest:" + pw, nil
}

func given(events ...domain.Event) interaction.State { return interaction.Fold(events) }

func started(event string) domain.Event {
	return &interaction.Started{Event: event, ExpiresAt: t0.Add(time.Hour)}
}

func passwordRecord(id, userID string) domain.Event {
	return &interaction.PasswordVerified{VerificationID: id, Identifier: interaction.Identifier{Type: "username", Value: "alice"}, UserID: userID}
}

func alice() *user.State {
	s := user.Fold([]domain.Event{&user.Registered{UserID: "1", Username: "alice", PasswordDigest: "digest:Secr3t!pass", CreatedAt: t0}})
	return &s
}

func errCode(err error) string { return domain.Code(err) }

func types(events []domain.Event) []string {
	var out []string
	for _, ev := range events {
		out = append(out, ev.EventType())
	}
	return out
}

func TestSwitchEvent(t *testing.T) {
	sie := settings.Default()
	signInOnly := settings.Default()
	signInOnly.SignInMode = settings.ModeSignIn
	tests := []struct {
		name     string
		from, to string
		sie      settings.SignInExperience
		wantCode string
		want     []string
	}{
		{"sign-in to register", "SignIn", "Register", sie, "", []string{"interaction.event.switched"}},
		{"same event is a no-op", "SignIn", "SignIn", sie, "", nil},
		{"register disabled by mode", "SignIn", "Register", signInOnly, "auth.forbidden", nil},
		{"mode check before forgot-password check", "ForgotPassword", "Register", signInOnly, "auth.forbidden", nil},
		{"into forgot password", "SignIn", "ForgotPassword", sie, "session.not_supported_for_forgot_password", nil},
		{"out of forgot password", "ForgotPassword", "SignIn", sie, "session.not_supported_for_forgot_password", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := interaction.SwitchEvent(given(started(tt.from)), &tt.sie, tt.to)
			if errCode(err) != tt.wantCode || len(evs) != len(tt.want) {
				t.Fatalf("got %v %v, want %q %v", types(evs), err, tt.wantCode, tt.want)
			}
		})
	}
}

func TestSwitchEventResetsProfileButKeepsRecords(t *testing.T) {
	name := "bob"
	s := given(started("SignIn"), passwordRecord("v1", "1"), &interaction.ProfileStaged{Username: &name, Submitted: true},
		&interaction.EventSwitched{From: "SignIn", To: "Register"})
	if s.Profile.Username != nil || !s.Profile.Submitted {
		t.Fatalf("profile not reset: %+v", s.Profile)
	}
	if _, ok := s.Record("v1"); !ok {
		t.Fatal("record lost on switch")
	}
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
			out := interaction.VerifyPassword(interaction.PasswordAttempt{
				VerificationID: "v1", Identifier: interaction.Identifier{Type: "username", Value: "alice"},
				User: tt.user, Matched: tt.matched, Sentinel: tt.guard, Policy: policy, Expiration: tt.expiration, Now: tt.now,
			})
			if errCode(out.Err) != tt.wantCode {
				t.Fatalf("code = %q, want %q", errCode(out.Err), tt.wantCode)
			}
			if got := types(out.Interaction); !equal(got, tt.wantEvents) {
				t.Errorf("interaction events = %v, want %v", got, tt.wantEvents)
			}
			if got := types(out.Sentinel); !equal(got, tt.wantSentinel) {
				t.Errorf("sentinel events = %v, want %v", got, tt.wantSentinel)
			}
		})
	}
}

func TestVerifyNewPasswordIdentity(t *testing.T) {
	tests := []struct {
		name, pw   string
		taken      bool
		wantCode   string
		wantHashed int
	}{
		{"accepted", "Secr3t!pass", false, "", 1},
		{"username taken, no hash", "Secr3t!pass", true, "user.username_already_in_use", 0},
		{"policy, no hash", "weak", false, "password.rejected", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pws := &fakePasswords{}
			evs, err := interaction.VerifyNewPasswordIdentity("v1", "alice", tt.pw, tt.taken, pws)
			if errCode(err) != tt.wantCode || pws.hashed != tt.wantHashed {
				t.Fatalf("got %v %v hashed=%d", types(evs), err, pws.hashed)
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
