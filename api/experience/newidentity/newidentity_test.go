package newidentity_test

import (
	"slices"
	"testing"

	"github.com/authtrail/authtrail/api/experience/newidentity"
	"github.com/authtrail/authtrail/api/experience/password"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/interaction/interactiontest"
	"github.com/authtrail/authtrail/domain/settings"
)

var (
	given   = interactiontest.Given
	started = interactiontest.Started
	alice   = interactiontest.Alice
	types   = interactiontest.Types
)

// passwordRecord is a verified password record.
func passwordRecord(id, userID string) domain.Event {
	return &password.Verified{VerificationID: id, Identifier: interaction.Identifier{Type: "username", Value: "alice"}, UserID: userID}
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
			pws := &interactiontest.FakePasswords{}
			evs, err := newidentity.Verify("v1", "alice", tt.pw, tt.taken, pws)
			if domain.Code(err) != tt.wantCode || pws.Hashed != tt.wantHashed {
				t.Fatalf("got %v %v hashed=%d", types(evs), err, pws.Hashed)
			}
		})
	}
}

func seven() string { return "7" }

func TestIdentifyNewUser(t *testing.T) {
	sie := settings.Default()
	signInOnly := settings.Default()
	signInOnly.SignInMode = settings.ModeSignIn
	record := &newidentity.Verified{VerificationID: "n1", Username: "carol", PasswordDigest: "digest:x"}
	badName := &newidentity.Verified{VerificationID: "n1", Username: "1carol", PasswordDigest: "digest:x"}
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
			if domain.Code(out.Err) != tt.wantCode || !slices.Equal(types(out.Interaction), tt.wantEvents) {
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
	if e, _ := domain.AsError(out.Err); e == nil || !slices.Equal(e.Data.(map[string]any)["missingProfile"].([]string), []string{"password"}) {
		t.Fatalf("missingProfile = %+v", out.Err)
	}
}
