package interaction_test

import (
	"testing"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

func TestIdentifyExisting(t *testing.T) {
	sie := settings.Default()
	noPassword := settings.Default()
	noPassword.SignIn.Methods = []settings.SignInMethod{{Identifier: "username", VerificationCode: true}}
	registerOnly := settings.Default()
	registerOnly.SignInMode = settings.ModeRegister
	suspended := alice()
	suspended.Suspended = true
	bob := user.Fold([]domain.Event{&user.Registered{UserID: "2", Username: "bob"}})
	newIdentity := &interaction.NewPasswordIdentityVerified{VerificationID: "n1", Username: "carol", PasswordDigest: "d"}
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
			if errCode(err) != tt.wantCode || !equal(types(evs), tt.want) {
				t.Fatalf("got %v %v, want %q %v", types(evs), err, tt.wantCode, tt.want)
			}
		})
	}
	_, err := interaction.IdentifyExisting(given(started("ForgotPassword"), passwordRecord("v1", "1")), &sie, "v1", alice())
	if e, _ := domain.AsError(err); e.Status != 422 {
		t.Errorf("forgot-password identification status = %d, want 422", e.Status)
	}
}

func seven() string { return "7" }

func TestIdentifyNewUser(t *testing.T) {
	sie := settings.Default()
	signInOnly := settings.Default()
	signInOnly.SignInMode = settings.ModeSignIn
	record := &interaction.NewPasswordIdentityVerified{VerificationID: "n1", Username: "carol", PasswordDigest: "digest:x"}
	badName := &interaction.NewPasswordIdentityVerified{VerificationID: "n1", Username: "1carol", PasswordDigest: "digest:x"}
	name := "dave"
	digest := "digest:y"
	tests := []struct {
		name       string
		state      interaction.State
		sie        settings.SignInExperience
		in         interaction.RegisterInput
		wantCode   string
		wantEvents []string
		wantUser   string
	}{
		{"creates from the record", given(started("Register"), record), sie, interaction.RegisterInput{VerificationID: "n1", NewUserID: seven}, "",
			[]string{"interaction.profile.staged", "interaction.user.registered"}, "carol"},
		{"creates from the staged profile", given(started("Register"), &interaction.ProfileStaged{Username: &name, PasswordDigest: &digest}), sie,
			interaction.RegisterInput{NewUserID: seven}, "", []string{"interaction.user.registered"}, "dave"},
		{"missing password keeps the staged username", given(started("Register"), &interaction.ProfileStaged{Username: &name}), sie,
			interaction.RegisterInput{NewUserID: seven}, "user.missing_profile", nil, ""},
		{"unknown record", given(started("Register")), sie, interaction.RegisterInput{VerificationID: "x"}, "session.verification_session_not_found", nil, ""},
		{"password record cannot register", given(started("Register"), passwordRecord("v1", "1")), sie, interaction.RegisterInput{VerificationID: "v1"}, "session.verification_failed", nil, ""},
		{"username policy", given(started("Register"), badName), sie, interaction.RegisterInput{VerificationID: "n1"}, "user.username_starts_with_number", nil, ""},
		{"username taken", given(started("Register"), record), sie, interaction.RegisterInput{VerificationID: "n1", Taken: map[string]bool{"username": true}}, "user.username_already_in_use", nil, ""},
		{"register disabled keeps the staged profile", given(started("Register"), record), signInOnly, interaction.RegisterInput{VerificationID: "n1"}, "auth.forbidden",
			[]string{"interaction.profile.staged"}, ""},
		{"second registration", given(started("Register"), record, &interaction.UserRegistered{UserID: "7"}), sie, interaction.RegisterInput{VerificationID: "n1"}, "session.identity_conflict", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := interaction.IdentifyNewUser(tt.state, &tt.sie, tt.in)
			if errCode(out.Err) != tt.wantCode || !equal(types(out.Interaction), tt.wantEvents) {
				t.Fatalf("got %v %v, want %q %v", types(out.Interaction), out.Err, tt.wantCode, tt.wantEvents)
			}
			if tt.wantUser != "" && (out.User == nil || out.User.Username != tt.wantUser || out.User.UserID != "7") {
				t.Fatalf("user = %+v", out.User)
			}
			if tt.wantUser == "" && out.User != nil {
				t.Fatalf("unexpected user %+v", out.User)
			}
		})
	}
	out := interaction.IdentifyNewUser(given(started("Register"), &interaction.ProfileStaged{Username: &name}), &sie, interaction.RegisterInput{})
	if e, _ := domain.AsError(out.Err); e == nil || !equal(e.Data.(map[string]any)["missingProfile"].([]string), []string{"password"}) {
		t.Fatalf("missingProfile = %+v", out.Err)
	}
}
