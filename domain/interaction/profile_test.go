package interaction_test

import (
	"slices"
	"time"

	"testing"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

func TestStageUsername(t *testing.T) {
	sie := settings.Default()
	noName := user.Fold([]domain.Event{&user.Registered{UserID: "1", PasswordDigest: "d"}})
	tests := []struct {
		name     string
		state    interaction.State
		user     *user.State
		value    string
		taken    bool
		wantCode string
	}{
		{"register stages", given(started("Register")), nil, "carol", false, ""},
		{"sign-in before identification", given(started("SignIn")), nil, "carol", false, "session.identifier_not_found"},
		{"forgot password", given(started("ForgotPassword")), nil, "carol", false, "session.not_supported_for_forgot_password"},
		{"user has a username", given(started("SignIn"), &interaction.Identified{UserID: "1"}), alice(), "carol", false, "user.username_exists_in_profile"},
		{"user without username", given(started("SignIn"), &interaction.Identified{UserID: "1"}), &noName, "carol", false, ""},
		{"taken", given(started("Register")), nil, "carol", true, "user.username_already_in_use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := interaction.StageUsername(tt.state, &sie, tt.user, tt.value, tt.taken)
			if domain.Code(err) != tt.wantCode {
				t.Fatalf("code = %q, want %q", domain.Code(err), tt.wantCode)
			}
		})
	}
	strict := settings.Default()
	strict.UsernamePolicy.MinLength = 4
	if _, err := interaction.StageUsername(given(started("Register")), &strict, nil, "bob", true); domain.Code(err) != "user.username_too_short" {
		t.Fatalf("policy must be checked before uniqueness, got %v", err)
	}
}

func TestStagePassword(t *testing.T) {
	noPassword := user.Fold([]domain.Event{&user.Registered{UserID: "1", Username: "alice"}})
	identified := given(started("SignIn"), &interaction.Identified{UserID: "1"})
	tests := []struct {
		name       string
		state      interaction.State
		user       *user.State
		pw         string
		wantCode   string
		wantHashed int
	}{
		{"register stages a digest", given(started("Register")), nil, "N3w-Passw0rd", "", 1},
		{"policy", given(started("Register")), nil, "weak", "password.rejected", 0},
		{"same as current", identified, alice(), "Secr3t!pass", "user.same_password", 0},
		{"user has a password", identified, alice(), "Other-Passw0rd", "user.password_exists_in_profile", 0},
		{"user without password", identified, &noPassword, "N3w-Passw0rd", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pws := &fakePasswords{}
			evs, err := interaction.StagePassword(tt.state, tt.user, tt.pw, pws)
			if domain.Code(err) != tt.wantCode || pws.Hashed != tt.wantHashed {
				t.Fatalf("got %v %v hashed=%d", types(evs), err, pws.Hashed)
			}
		})
	}
}

func TestResetPassword(t *testing.T) {
	fp := given(started("ForgotPassword"), &interaction.Identified{UserID: "1"})
	tests := []struct {
		name     string
		state    interaction.State
		pw       string
		wantCode string
	}{
		{"stages", fp, "An0ther-Pass", ""},
		{"not forgot password", given(started("SignIn"), &interaction.Identified{UserID: "1"}), "An0ther-Pass", "session.invalid_interaction_type"},
		{"not identified", given(started("ForgotPassword")), "An0ther-Pass", "session.identifier_not_found"},
		{"policy", fp, "weak", "password.rejected"},
		{"same password", fp, "Secr3t!pass", "user.same_password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := alice()
			if !tt.state.Identified() {
				u = nil
			}
			_, err := interaction.ResetPassword(tt.state, u, tt.pw, &fakePasswords{})
			if domain.Code(err) != tt.wantCode {
				t.Fatalf("code = %q, want %q", domain.Code(err), tt.wantCode)
			}
		})
	}
}

func TestStageExtraProfile(t *testing.T) {
	reg := given(started("Register"))
	tests := []struct {
		name     string
		values   map[string]any
		wantCode string
	}{
		{"splits", map[string]any{"name": "Carol", "avatar": "https://x.example/a.png", "givenName": "C", "plan": "pro"}, ""},
		{"built-in", map[string]any{"preferredUsername": "x"}, "custom_profile_fields.name_conflict_built_in_prop"},
		{"identifier", map[string]any{"primaryEmail": "x"}, "custom_profile_fields.name_conflict_sign_in_identifier"},
		{"reserved custom data", map[string]any{"onboarding": true}, "custom_profile_fields.name_conflict_custom_data"},
		{"avatar not a url", map[string]any{"avatar": "not a url"}, "guard.invalid_input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := interaction.StageExtraProfile(reg, tt.values)
			if domain.Code(err) != tt.wantCode {
				t.Fatalf("code = %q, want %q", domain.Code(err), tt.wantCode)
			}
			if err != nil {
				return
			}
			s := interaction.Fold(append([]domain.Event{started("Register")}, evs...))
			if *s.Profile.Name != "Carol" || s.Profile.Profile["givenName"] != "C" || s.Profile.CustomData["plan"] != "pro" || !s.Profile.Submitted {
				t.Fatalf("profile = %+v", s.Profile)
			}
		})
	}
}

func TestSubmit(t *testing.T) {
	sie := settings.Default()
	name := "carol"
	digest := "digest:N3w"
	noPassword := user.Fold([]domain.Event{&user.Registered{UserID: "1", Username: "alice"}})
	tests := []struct {
		name      string
		state     interaction.State
		user      *user.State
		taken     bool
		wantCode  string
		wantUser  []string
		wantClaim string
	}{
		{"sign-in", given(started("SignIn"), &interaction.Identified{UserID: "1"}), alice(), false, "", nil, ""},
		{"not identified", given(started("SignIn")), nil, false, "session.identifier_not_found", nil, ""},
		{"forgot password without new password", given(started("ForgotPassword"), &interaction.Identified{UserID: "1"}), alice(), false, "user.new_password_required_in_profile", nil, ""},
		{"forgot password", given(started("ForgotPassword"), &interaction.Identified{UserID: "1"}, &interaction.ProfileStaged{PasswordDigest: &digest}), alice(), false, "", []string{"user.password.changed"}, ""},
		{"missing password", given(started("SignIn"), &interaction.Identified{UserID: "1"}), &noPassword, false, "user.missing_profile", nil, ""},
		{"staged password completes the profile", given(started("SignIn"), &interaction.Identified{UserID: "1"}, &interaction.ProfileStaged{PasswordDigest: &digest}), &noPassword, false, "", []string{"user.password.changed"}, ""},
		{"username exists", given(started("SignIn"), &interaction.Identified{UserID: "1"}, &interaction.ProfileStaged{Username: &name}), alice(), false, "user.username_exists_in_profile", nil, ""},
		{"register writes staged data", given(started("Register"), &interaction.UserRegistered{UserID: "1"}, &interaction.ProfileStaged{Name: &name}), alice(), false, "", []string{"user.profile.updated"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := interaction.Submit(tt.state, &sie, interaction.SubmitInput{User: tt.user, Taken: map[string]bool{"username": tt.taken}, Now: t0})
			if domain.Code(err) != tt.wantCode {
				t.Fatalf("code = %q, want %q", domain.Code(err), tt.wantCode)
			}
			if err != nil {
				return
			}
			if !slices.Equal(types(out.Interaction), []string{"interaction.submitted"}) || !slices.Equal(types(out.User), tt.wantUser) || len(out.Claims) != len(tt.wantClaim) {
				t.Fatalf("outcome = %v %v %v", types(out.Interaction), types(out.User), out.Claims)
			}
		})
	}
}

func TestSubmittedStates(t *testing.T) {
	signIn := given(started("SignIn"), &interaction.Identified{UserID: "1"}, &interaction.Submitted{Event: "SignIn", UserID: "1"})
	if !signIn.Completed || signIn.Active(t0) {
		t.Fatal("a submitted sign-in must be consumed")
	}
	fp := given(started("ForgotPassword"), &interaction.Submitted{Event: "ForgotPassword"})
	if !fp.Cleared {
		t.Fatal("a forgot-password submit must clear the interaction")
	}
	if given(started("SignIn")).Active(t0.Add(time.Hour)) {
		t.Fatal("an interaction must expire")
	}
}
