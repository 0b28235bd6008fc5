package verificationcode_test

import (
	"slices"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/experience/verificationcode"
	"github.com/authtrail/authtrail/domain/interaction/interactiontest"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

var (
	t0      = interactiontest.T0
	given   = interactiontest.Given
	started = interactiontest.Started
	types   = interactiontest.Types
)

var email = interaction.Identifier{Type: "email", Value: "Ann@Example.com"}

func requested(id string, ident interaction.Identifier) domain.Event {
	return &verificationcode.Requested{VerificationID: id, RecordType: verificationcode.RecordTypeFor(ident.Type), Identifier: ident,
		Template: "SignIn", SendID: "s-" + id, Digest: code.Digest{KeyID: "k", Sum: "right"}, ExpiresAt: t0.Add(10 * time.Minute)}
}

func TestPlanCode(t *testing.T) {
	sie := settings.Default()
	sie.SignUp.Identifiers = []string{"email"}
	signInOnly := sie
	signInOnly.SignInMode = settings.ModeSignIn
	phone := interaction.Identifier{Type: "phone", Value: "61412345678"}
	tests := []struct {
		name           string
		state          interaction.State
		sie            settings.SignInExperience
		req            verificationcode.Request
		wantTemplate   string
		wantSuppressed bool
		wantCode       string
	}{
		{"register", given(started("Register")), sie, verificationcode.Request{Identifier: email, Event: "Register"}, "Register", false, ""},
		{"body event wins over the interaction's", given(started("SignIn")), sie, verificationcode.Request{Identifier: email, Event: "ForgotPassword", UserExists: true}, "ForgotPassword", false, ""},
		{"forgot password for nobody is suppressed", given(started("ForgotPassword")), sie, verificationcode.Request{Identifier: email, Event: "ForgotPassword"}, "ForgotPassword", true, ""},
		{"sign-in for nobody in sign-in-only mode is suppressed", given(started("SignIn")), signInOnly, verificationcode.Request{Identifier: email, Event: "SignIn"}, "SignIn", true, ""},
		{"sign-in for nobody otherwise is sent", given(started("SignIn")), sie, verificationcode.Request{Identifier: email, Event: "SignIn"}, "SignIn", false, ""},
		{"identified user binding a non-sign-up identifier", given(started("SignIn"), &interaction.Identified{UserID: "1"}), sie, verificationcode.Request{Identifier: phone, Event: "SignIn"}, "BindMfa", false, ""},
		{"blocklist at registration", given(started("Register")), sie, verificationcode.Request{Identifier: email, Event: "Register", EmailViolation: domain.E("session.email_blocklist.email_not_allowed")}, "", false, "session.email_blocklist.email_not_allowed"},
		{"blocklist not at sign-in", given(started("SignIn")), sie, verificationcode.Request{Identifier: email, Event: "SignIn", UserExists: true, EmailViolation: domain.E("session.email_blocklist.email_not_allowed")}, "SignIn", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := verificationcode.PlanCode(tt.state, &tt.sie, tt.req)
			if domain.Code(err) != tt.wantCode || plan.Template != tt.wantTemplate || plan.Suppressed != tt.wantSuppressed {
				t.Fatalf("got %+v %v", plan, err)
			}
		})
	}
}

func TestVerifyCode(t *testing.T) {
	policy := settings.VerificationCodePolicy{ExpirationDuration: 600, MaxRetryAttempts: 2}
	mismatch := func(id string) domain.Event {
		return &verificationcode.Failed{VerificationID: id, Identifier: email, Reason: "verification_code.code_mismatch"}
	}
	tests := []struct {
		name     string
		state    interaction.State
		vid      string
		ident    interaction.Identifier
		code     string
		now      time.Time
		wantCode string
		want     []string
	}{
		{"right code", given(started("SignIn"), requested("v1", email)), "v1", email, "right", t0, "", []string{"interaction.code.verified"}},
		{"email case does not matter", given(started("SignIn"), requested("v1", email)), "v1", interaction.Identifier{Type: "email", Value: "ann@example.com"}, "right", t0, "", []string{"interaction.code.verified"}},
		{"unknown record", given(started("SignIn")), "v1", email, "right", t0, "session.verification_session_not_found", nil},
		{"phone identifier on an email record", given(started("SignIn"), requested("v1", email)), "v1", interaction.Identifier{Type: "phone", Value: "1"}, "right", t0, "session.verification_session_not_found", nil},
		{"empty code", given(started("SignIn"), requested("v1", email)), "v1", email, "", t0, "verification_code.not_found", []string{"interaction.code.failed"}},
		{"consumed", given(started("SignIn"), requested("v1", email), &verificationcode.Verified{VerificationID: "v1"}), "v1", email, "right", t0, "verification_code.not_found", []string{"interaction.code.failed"}},
		{"other email", given(started("SignIn"), requested("v1", email)), "v1", interaction.Identifier{Type: "email", Value: "bob@example.com"}, "right", t0, "verification_code.email_mismatch", []string{"interaction.code.failed"}},
		{"expired", given(started("SignIn"), requested("v1", email)), "v1", email, "right", t0.Add(10 * time.Minute), "verification_code.expired", []string{"interaction.code.failed"}},
		{"wrong code", given(started("SignIn"), requested("v1", email)), "v1", email, "wrong", t0, "verification_code.code_mismatch", []string{"interaction.code.failed"}},
		{"max tries before the comparison", given(started("SignIn"), requested("v1", email), mismatch("v1"), mismatch("v1")), "v1", email, "right", t0, "verification_code.exceed_max_try", []string{"interaction.code.failed"}},
		{"a resend does not reset the count", given(started("SignIn"), requested("v1", email), mismatch("v1"), mismatch("v1"), requested("v2", email)), "v2", email, "right", t0, "verification_code.exceed_max_try", []string{"interaction.code.failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := verificationcode.VerifyCode(tt.state, verificationcode.Attempt{
				VerificationID: tt.vid, Identifier: tt.ident, Code: tt.code,
				Matches: func(d code.Digest) bool { return d.Sum == tt.code }, Policy: policy,
				SentinelPolicy: sentinel.Policy{MaxAttempts: 100, LockoutDuration: time.Hour}, Now: tt.now,
			})
			if domain.Code(out.Err) != tt.wantCode || !slices.Equal(types(out.Interaction), tt.want) {
				t.Fatalf("got %v %v", types(out.Interaction), out.Err)
			}
		})
	}
	locked := sentinel.Fold([]domain.Event{&sentinel.Locked{Until: t0.Add(time.Hour)}})
	out := verificationcode.VerifyCode(given(started("SignIn"), requested("v1", email)), verificationcode.Attempt{
		VerificationID: "v1", Identifier: email, Code: "right", Matches: func(code.Digest) bool { return true },
		Policy: policy, Sentinel: locked, SentinelPolicy: sentinel.Policy{MaxAttempts: 5, LockoutDuration: time.Hour}, Now: t0,
	})
	if domain.Code(out.Err) != "session.verification_blocked_too_many_attempts" {
		t.Fatalf("locked identifier: %v", out.Err)
	}
}

func TestRegisterWithEmailCode(t *testing.T) {
	sie := settings.Default()
	sie.SignUp = settings.SignUp{Identifiers: []string{"email"}, Password: false, Verify: true}
	verified := []domain.Event{started("Register"), requested("v1", email), &verificationcode.Verified{VerificationID: "v1"}}
	out := interaction.IdentifyNewUser(given(verified...), &sie, interaction.RegisterInput{VerificationID: "v1", NewUserID: func() string { return "9" }})
	if out.Err != nil || out.User == nil || out.User.PrimaryEmail != email.Value {
		t.Fatalf("got %+v %v", out.User, out.Err)
	}
	taken := interaction.IdentifyNewUser(given(verified...), &sie, interaction.RegisterInput{VerificationID: "v1", Taken: map[string]bool{user.KindEmail: true}})
	if domain.Code(taken.Err) != "user.email_already_in_use" {
		t.Fatalf("taken: %v", taken.Err)
	}
	unverified := interaction.IdentifyNewUser(given(started("Register"), requested("v1", email)), &sie, interaction.RegisterInput{VerificationID: "v1"})
	if domain.Code(unverified.Err) != "session.verification_failed" {
		t.Fatalf("unverified: %v", unverified.Err)
	}
	blocked := interaction.IdentifyNewUser(given(verified...), &sie, interaction.RegisterInput{VerificationID: "v1", EmailViolation: domain.E("session.email_blocklist.email_not_allowed")})
	if domain.Code(blocked.Err) != "session.email_blocklist.email_not_allowed" {
		t.Fatalf("blocklist: %v", blocked.Err)
	}
}
