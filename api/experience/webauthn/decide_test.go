package webauthn_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/experience/webauthn"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/user"
)

// An assertion is one-use: once the interaction has folded its use from
// the user, the challenge is consumed and another verify of it is
// refused; the request whose claim that is, decided again, succeeds
// without claiming again.
func TestFinishAuthenticationAfterTheUse(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	in := user.UseIn{ID: "i1", Start: 1, After: 1}
	s := interaction.Fold(append(interaction.Start("SignIn", now, time.Hour, interaction.Client{}, ""),
		&interaction.Identified{UserID: "1"},
		&webauthn.Challenged{VerificationID: "v1", UserID: "1", Ceremony: webauthn.CeremonyAuthentication, Session: json.RawMessage(`{}`)}))
	u := userOf([]domain.Event{&user.Registered{UserID: "1", Username: "alice", CreatedAt: now},
		&user.MFAFactorAdded{Factor: user.Factor{ID: "w", Type: user.FactorWebAuthn, CredentialID: "c"}},
		&user.WebAuthnUsed{FactorID: "w", SignCount: 1, At: now, UseID: "u1", In: &in, VerificationID: "v1"}})
	adopt := func(use user.Use) (interaction.RecordEvent, bool) { return webauthn.Adopted(use), true }
	if got := s.Adopt("i1", u, adopt); len(got) != 1 {
		t.Fatalf("adopted %v, want the assertion's use", got)
	}
	a := interaction.Attempt{Policy: sentinel.Policy{MaxAttempts: 5, LockoutDuration: time.Minute}, Now: now}
	verify := func(json.RawMessage) (webauthn.Assertion, error) {
		t.Fatal("the consumed challenge was verified")
		return webauthn.Assertion{}, nil
	}
	cases := []struct {
		name, useID, code string
	}{
		{"its own claim, decided again", "u1", ""},
		{"another request", "u2", "session.mfa.pending_info_not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := webauthn.FinishAuthentication(s, u, s.In("i1"), "v1", tc.useID, verify, a)
			if code := errorCode(out.Err); code != tc.code {
				t.Fatalf("error %v, want %q", out.Err, tc.code)
			}
			if len(out.User)+len(out.Interaction)+len(out.Sentinel) != 0 && tc.code == "" {
				t.Errorf("decided again, it wrote %+v", out)
			}
		})
	}
}

func errorCode(err error) string {
	if e, ok := domain.AsError(err); ok {
		return e.Code
	}
	return ""
}

func userOf(events []domain.Event) *user.State {
	u := user.Fold(events)
	return &u
}
