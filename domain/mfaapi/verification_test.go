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

var totpFactor = user.Factor{ID: "f", Type: user.FactorTotp, LastStep: 10, Name: "My phone"}

func TestDevicesAndStart(t *testing.T) {
	u := newUser(user.Factor{ID: "w", Type: user.FactorWebAuthn}, totpFactor, user.Factor{ID: "b", Type: user.FactorBackupCode},
		user.Factor{ID: "p", Type: user.FactorPhone, Destination: "61412345678"}, user.Factor{ID: "e", Type: user.FactorEmail, Name: "Work"})
	ds := mfaapi.Devices(factors, u)
	want := []mfaapi.Device{{DeviceID: user.DeviceID("f"), FactorID: "f", Kind: mfaapi.KindTotp, UserDisplayName: "My phone",
		TypeDisplayName: "Authenticator", AuthFactorName: "Google Authenticator", Default: true},
		{DeviceID: user.DeviceID("p"), FactorID: "p", Kind: mfaapi.KindSMS, Destination: "61412345678", UserDisplayName: "OneLogin SMS",
			TypeDisplayName: "OneLogin SMS", AuthFactorName: "SMS"},
		// Not configured: OneLogin's names.
		{DeviceID: user.DeviceID("e"), FactorID: "e", Kind: mfaapi.KindEmail, UserDisplayName: "Work",
			TypeDisplayName: "OneLogin Email", AuthFactorName: "OneLogin Email"}}
	if !reflect.DeepEqual(ds, want) {
		t.Fatalf("devices = %+v", ds)
	}
	if av := mfaapi.Available(factors, u); len(av) != 0 {
		t.Fatalf("available = %+v", av)
	}
	if _, _, err := mfaapi.StartVerification("v", factors, u, user.DeviceID("w"), 120, t0); !errors.Is(err, mfaapi.ErrNotFound) {
		t.Fatalf("webauthn device: %v", err)
	}
	v, _, err := mfaapi.StartVerification("v", factors, u, ds[0].DeviceID, 120, t0)
	if err != nil || v.FactorID != "f" || v.ExpiresAt != t0.Add(2*time.Minute) {
		t.Fatalf("start = %+v %v", v, err)
	}
	if a, b := user.DeviceID("f"), user.DeviceID("g"); a == b || a != user.DeviceID("f") {
		t.Fatalf("DeviceID not a stable digest: %s %s", a, b)
	}
}

func verification(failures int, extra ...domain.Event) mfaapi.Verification {
	events := []domain.Event{&mfaapi.VerificationStarted{VerificationID: "v", UserID: "7", DeviceID: user.DeviceID("f"), FactorID: "f", ExpiresAt: t0.Add(time.Minute)}}
	for range failures {
		events = append(events, &mfaapi.VerificationOTPFailed{})
	}
	return mfaapi.FoldVerification(append(events, extra...))
}

func TestVerify(t *testing.T) {
	single := user.TempToken{TokenID: "t", ExpiresAt: t0.Add(time.Hour)}
	reusable := user.TempToken{TokenID: "t", ExpiresAt: t0.Add(time.Hour), Reusable: true}
	used := user.TempToken{TokenID: "t", ExpiresAt: t0.Add(time.Hour), Used: true}
	usedByU1 := user.TempToken{TokenID: "t", ExpiresAt: t0.Add(time.Hour), Used: true, UsedBy: "u1"}
	claimedStep := user.Factor{ID: "f", Type: user.FactorTotp, LastStep: 11, LastUse: "u1"}
	for _, c := range []struct {
		name   string
		v      mfaapi.Verification
		u      *user.State
		tok    user.TempToken
		check  mfaapi.Check
		now    time.Time
		err    error
		status string
		user   []string
	}{
		{"totp", verification(0), newUser(totpFactor), single, mfaapi.Check{TotpMatched: true, TotpStep: 11}, t0, nil, "accepted", []string{"user.mfa.totp_used"}},
		{"replayed step", verification(0), newUser(totpFactor), single, mfaapi.Check{TotpMatched: true, TotpStep: 10}, t0, nil, "pending", nil},
		{"wrong", verification(0), newUser(totpFactor), single, mfaapi.Check{}, t0, nil, "pending", nil},
		// Decided again after its claim committed: its own, not claimed twice.
		{"own claim of the step", verification(0), newUser(claimedStep), single, mfaapi.Check{TotpMatched: true, TotpStep: 11, UseID: "u1"}, t0, nil, "accepted", nil},
		{"another's claim of the step", verification(0), newUser(claimedStep), single, mfaapi.Check{TotpMatched: true, TotpStep: 11, UseID: "u2"}, t0, nil, "pending", nil},
		{"own claim of the token", verification(0), newUser(totpFactor), usedByU1, mfaapi.Check{TokenMatched: true, UseID: "u1"}, t0, nil, "accepted", nil},
		{"token claimed by another", verification(0), newUser(totpFactor), usedByU1, mfaapi.Check{TokenMatched: true, UseID: "u2"}, t0, nil, "pending", nil},
		{"fifth wrong", verification(4), newUser(totpFactor), single, mfaapi.Check{}, t0, nil, "rejected", nil},
		{"single-use token", verification(0), newUser(totpFactor), single, mfaapi.Check{TokenMatched: true}, t0, nil, "accepted", []string{"user.mfa.temp_token_used"}},
		{"reusable token", verification(0), newUser(totpFactor), reusable, mfaapi.Check{TokenMatched: true}, t0, nil, "accepted", nil},
		{"used token", verification(0), newUser(totpFactor), used, mfaapi.Check{TokenMatched: true}, t0, nil, "pending", nil},
		{"expired token", verification(0), newUser(totpFactor), user.TempToken{TokenID: "t", ExpiresAt: t0.Add(30 * time.Second)}, mfaapi.Check{TokenMatched: true}, t0.Add(40 * time.Second), nil, "pending", nil},
		{"expired", verification(0), newUser(totpFactor), single, mfaapi.Check{TotpMatched: true, TotpStep: 11}, t0.Add(time.Minute), mfaapi.ErrForbidden, "", nil},
		{"rejected", verification(5, &mfaapi.VerificationRejected{}), newUser(totpFactor), single, mfaapi.Check{TokenMatched: true}, t0, mfaapi.ErrForbidden, "", nil},
		{"accepted", verification(0, &mfaapi.VerificationAccepted{}), newUser(totpFactor), single, mfaapi.Check{TokenMatched: true}, t0, mfaapi.ErrForbidden, "", nil},
		{"device removed", verification(0), newUser(), single, mfaapi.Check{TokenMatched: true}, t0, mfaapi.ErrForbidden, "", nil},
		{"another user", verification(0), &user.State{ID: "8"}, single, mfaapi.Check{}, t0, mfaapi.ErrNotFound, "", nil},
	} {
		out, err := mfaapi.Verify(c.v, c.u, c.tok, c.check, c.now)
		if !errors.Is(err, c.err) || out.Status != c.status || !reflect.DeepEqual(types(out.User), c.user) {
			t.Errorf("%s: %+v %v", c.name, out, err)
		}
	}
}

func TestFoldTempToken(t *testing.T) {
	events := []domain.Event{
		&user.TempTokenIssued{TokenID: "a", ExpiresAt: t0.Add(time.Hour)},
		&user.TempTokenUsed{TokenID: "a"},
		&user.TempTokenIssued{TokenID: "b", ExpiresAt: t0.Add(time.Hour)},
	}
	if tok := user.Fold(events).TempToken; tok.TokenID != "b" || tok.Used || !tok.Usable(t0) || tok.Usable(t0.Add(time.Hour)) {
		t.Fatalf("token = %+v", tok)
	}
	if tok := user.Fold(events[:2]).TempToken; tok.Usable(t0) {
		t.Fatalf("used token usable: %+v", tok)
	}
}
