package interaction_test

import (
	"slices"
	"testing"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/interaction/interactiontest"
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

type fakePasswords = interactiontest.FakePasswords

// noted is a method's record for these tests: it identifies its UserID,
// stages a username, proves TOTP and binds a TOTP secret.
type noted struct {
	interaction.RecordBase
}

func (noted) CheckIdentify(string, *settings.SignInExperience) error { return nil }
func (r noted) Identifies() interaction.Identity                     { return interaction.Identity{UserID: r.UserID} }
func (noted) ProfileType() string                                    { return "" }
func (r noted) Profile() *interaction.ProfileStaged {
	name := "noted_" + r.ID
	return &interaction.ProfileStaged{Username: &name}
}
func (noted) ProvesFactor() string { return user.FactorTotp }
func (noted) StageBinding(s *interaction.State) {
	s.MFA.StageFactor(user.Factor{Type: user.FactorTotp, Secret: &user.Sealed{KeyID: "k", Box: "b"}})
}

// made puts a noted record; counted counts an attempt under key.
type made struct{ ID, Type, UserID string }
type counted struct{ Key string }

func (made) EventType() string    { return "test.made" }
func (counted) EventType() string { return "test.counted" }
func (e *made) ApplyTo(s *interaction.State) {
	s.PutRecord(noted{interaction.RecordBase{ID: e.ID, Type: e.Type, UserID: e.UserID, Verified: true}})
}
func (e *counted) ApplyTo(s *interaction.State) { s.AddCount(e.Key) }

func TestRecords(t *testing.T) {
	s := given(started("SignIn"), &made{ID: "a", Type: "Noted", UserID: "1"}, &made{ID: "b", Type: "Other"})
	if _, ok := s.Record("a"); !ok || len(s.Records) != 2 {
		t.Fatalf("records = %v", s.Records)
	}
	// One record per type: a new one replaces the old.
	s.Apply(&made{ID: "c", Type: "Noted"})
	if _, ok := s.Record("a"); ok || len(s.Records) != 2 {
		t.Fatalf("the new record must replace the old one of its type: %v", s.Records)
	}
	if _, ok := interaction.RecordOf[interaction.MFAProof](s, "c"); !ok {
		t.Fatal("RecordOf finds a record by capability")
	}
	if _, ok := interaction.UserRecord[noted](given(started("SignIn"), &interaction.Identified{UserID: "2"}, &made{ID: "a", Type: "Noted", UserID: "1"}), "a"); ok {
		t.Fatal("UserRecord must not find another user's record")
	}
}

// Binding stages what the record holds; a restart drops records and
// staging but keeps the methods' attempt counters.
func TestBindingAndRestart(t *testing.T) {
	s := given(started("SignIn"), &interaction.Identified{UserID: "1"}, &made{ID: "a", Type: "Noted", UserID: "1"},
		&interaction.MFABound{Type: user.FactorTotp, VerificationID: "a"}, &counted{Key: "k"}, &counted{Key: "k"})
	if f, ok := s.MFA.StagedFactor(user.FactorTotp); !ok || f.Secret == nil || !slices.Equal(s.MFA.Bound, []string{user.FactorTotp}) || s.MFA.Enabled == nil {
		t.Fatalf("staging = %+v", s.MFA)
	}
	s.Apply(started("SignIn"))
	if len(s.Records) != 0 || len(s.MFA.Factors) != 0 || s.Count("k") != 2 {
		t.Fatalf("after restart: records %v, staging %+v, count %d", s.Records, s.MFA, s.Count("k"))
	}
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
			if domain.Code(err) != tt.wantCode || len(evs) != len(tt.want) {
				t.Fatalf("got %v %v, want %q %v", types(evs), err, tt.wantCode, tt.want)
			}
		})
	}
}

func TestSwitchEventResetsProfileButKeepsRecords(t *testing.T) {
	name := "bob"
	s := given(started("SignIn"), &made{ID: "v1", Type: "Noted", UserID: "1"}, &interaction.ProfileStaged{Username: &name, Submitted: true},
		&interaction.EventSwitched{From: "SignIn", To: "Register"})
	if s.Profile.Username != nil || !s.Profile.Submitted {
		t.Fatalf("profile not reset: %+v", s.Profile)
	}
	if _, ok := s.Record("v1"); !ok {
		t.Fatal("record lost on switch")
	}
}

// The identification gate: the mode, then the record's own check; a record
// that cannot identify is refused by the event's rule.
func TestIdentifyExistingGate(t *testing.T) {
	sie := settings.Default()
	registerOnly := settings.Default()
	registerOnly.SignInMode = settings.ModeRegister
	cases := []struct {
		name     string
		state    interaction.State
		sie      settings.SignInExperience
		wantCode string
	}{
		{"identifies", given(started("SignIn"), &made{ID: "v1", Type: "Noted", UserID: "1"}), sie, ""},
		{"sign-in mode", given(started("SignIn"), &made{ID: "v1", Type: "Noted", UserID: "1"}), registerOnly, "auth.forbidden"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := interaction.IdentifyExisting(c.state, &c.sie, "v1", alice())
			if domain.Code(err) != c.wantCode {
				t.Fatalf("code = %q, want %q", domain.Code(err), c.wantCode)
			}
		})
	}
	// Registration stages the record's profile.
	out := interaction.IdentifyNewUser(given(started("Register"), &made{ID: "v1", Type: "Noted"}), &sie, interaction.RegisterInput{VerificationID: "v1", NewUserID: func() string { return "7" }})
	if !slices.Equal(types(out.Interaction), []string{"interaction.profile.staged"}) || domain.Code(out.Err) != "user.missing_profile" {
		t.Fatalf("register from a profile source: %v %v", types(out.Interaction), out.Err)
	}
	// An MFA proof satisfies the MFA guard of a user with that factor.
	mfa := settings.Default()
	mfa.MFA = settings.MFA{Factors: []string{user.FactorTotp}, Policy: interaction.PolicyUserControlled}
	withTotp := alice()
	withTotp.Factors = []user.Factor{{ID: "f", Type: user.FactorTotp}}
	on := true
	withTotp.MFA.Enabled = &on
	identified := given(started("SignIn"), &interaction.Identified{UserID: "1"})
	if domain.Code(interaction.GuardMFA(identified, &mfa, withTotp)) != "session.mfa.require_mfa_verification" {
		t.Fatal("the guard must ask for MFA")
	}
	identified.Apply(&made{ID: "m", Type: "Noted", UserID: "1"})
	if err := interaction.GuardMFA(identified, &mfa, withTotp); err != nil {
		t.Fatalf("a verified MFA proof passes the guard: %v", err)
	}
}

func TestIdentifierWellFormed(t *testing.T) {
	for _, tc := range []struct {
		id   interaction.Identifier
		want bool
	}{
		{interaction.Identifier{Type: "email", Value: "ann@example.com"}, true},
		{interaction.Identifier{Type: "email", Value: "ann@example"}, false},
		{interaction.Identifier{Type: "email", Value: "ann @example.com"}, false},
		{interaction.Identifier{Type: "email", Value: ""}, false},
		{interaction.Identifier{Type: "phone", Value: "61412345678"}, true},
		{interaction.Identifier{Type: "phone", Value: "+61412345678"}, false},
		{interaction.Identifier{Type: "phone", Value: ""}, false},
		{interaction.Identifier{Type: "username", Value: "any thing"}, true},
	} {
		if got := tc.id.WellFormed(); got != tc.want {
			t.Errorf("%+v.WellFormed() = %v, want %v", tc.id, got, tc.want)
		}
	}
}
