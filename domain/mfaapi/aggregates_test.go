package mfaapi_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/user"
)

var (
	t0      = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	factors = []mfaapi.Factor{
		{ID: 1, Name: "Authenticator", AuthFactorName: "Google Authenticator", Kind: mfaapi.KindTotp},
		{ID: 2, Name: "OneLogin SMS", AuthFactorName: "SMS", Kind: mfaapi.KindSMS},
	}
	sealed = &user.Sealed{KeyID: "k", Box: "b"}
)

func newUser(fs ...user.Factor) *user.State {
	off := false
	return &user.State{ID: "7", Exists: true, Factors: fs, MFA: user.MFAConfig{Enabled: &off}}
}

func types(events []domain.Event) []string {
	var out []string
	for _, ev := range events {
		out = append(out, ev.EventType())
	}
	return out
}

func TestStartRegistration(t *testing.T) {
	withTotp := newUser(user.Factor{ID: "f0", Type: user.FactorTotp})
	for _, c := range []struct {
		name     string
		u        *user.State
		factorID int64
		verified bool
		err      error
	}{
		{"ok", newUser(), 1, false, nil},
		{"verified on totp", newUser(), 1, true, mfaapi.InvalidParams{"verified"}},
		{"sms without a phone", newUser(), 2, false, mfaapi.InvalidParams{"factor_id"}},
		{"unknown", newUser(), 9, false, mfaapi.InvalidParams{"factor_id"}},
		{"one totp per user", withTotp, 1, false, mfaapi.InvalidParams{"factor_id"}},
	} {
		got, err := mfaapi.Start(mfaapi.StartRegistration{RegistrationID: "r", FactorID: "f", User: c.u, Factors: factors,
			FactorConfigID: c.factorID, DisplayName: "phone", ExpiresIn: 300, Verified: c.verified, Secret: sealed, Now: t0})
		if !reflect.DeepEqual(err, c.err) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.err)
		}
		if err == nil && (got.Secret != sealed || got.ExpiresAt != t0.Add(300*time.Second) || got.TypeDisplayName != "Authenticator" || got.UserID != "7") {
			t.Errorf("%s: %+v", c.name, got)
		}
	}
}

func registration(failures int, extra ...domain.Event) mfaapi.Registration {
	events := []domain.Event{&mfaapi.RegistrationStarted{RegistrationID: "r", UserID: "7", FactorID: "f", Secret: sealed, ExpiresAt: t0.Add(time.Minute)}}
	for range failures {
		events = append(events, &mfaapi.RegistrationOTPFailed{})
	}
	return mfaapi.FoldRegistration(append(events, extra...))
}

func TestConfirmRegistration(t *testing.T) {
	for _, c := range []struct {
		name      string
		r         mfaapi.Registration
		u         *user.State
		matched   bool
		now       time.Time
		err       error
		status    string
		reg, user []string
	}{
		{"accepted", registration(0), newUser(), true, t0, nil, "accepted", []string{"mfa.registration.accepted"},
			[]string{"user.mfa.factor_added", "user.mfa_config.updated"}},
		{"wrong", registration(0), newUser(), false, t0, nil, "pending", []string{"mfa.registration.otp_failed"}, nil},
		{"fifth wrong", registration(4), newUser(), false, t0, nil, "rejected",
			[]string{"mfa.registration.otp_failed", "mfa.registration.rejected"}, nil},
		{"after rejection", registration(5, &mfaapi.RegistrationRejected{}), newUser(), true, t0, mfaapi.ErrForbidden, "", nil, nil},
		{"expired", registration(0), newUser(), true, t0.Add(time.Minute), mfaapi.ErrForbidden, "", nil, nil},
		{"accepted twice", registration(0, &mfaapi.RegistrationAccepted{}), newUser(), true, t0, mfaapi.ErrForbidden, "", nil, nil},
		{"user has a totp", registration(0), newUser(user.Factor{ID: "x", Type: user.FactorTotp}), true, t0, mfaapi.ErrForbidden, "", nil, nil},
		{"another user", registration(0), &user.State{ID: "8", Exists: true}, true, t0, mfaapi.ErrNotFound, "", nil, nil},
		{"unknown", mfaapi.Registration{}, newUser(), true, t0, mfaapi.ErrNotFound, "", nil, nil},
	} {
		out, err := mfaapi.Confirm(c.r, c.u, c.matched, 42, c.now)
		if !errors.Is(err, c.err) || out.Status != c.status || !reflect.DeepEqual(types(out.Registration), c.reg) ||
			!reflect.DeepEqual(types(out.User), c.user) {
			t.Errorf("%s: %+v %v", c.name, out, err)
		}
		if added, ok := firstOf[*user.MFAFactorAdded](out.User); ok {
			f := added.Factor
			if f.ID != "f" || f.Type != user.FactorTotp || f.LastStep != 42 || f.Secret != sealed {
				t.Errorf("%s: factor %+v", c.name, f)
			}
		}
	}
	if s := registration(0).Status(t0.Add(time.Minute)); s != "rejected" {
		t.Errorf("expired status %q", s)
	}
}

func firstOf[T domain.Event](events []domain.Event) (T, bool) {
	for _, ev := range events {
		if v, ok := ev.(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}
