package mfaapi_test

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/user"
)

func TestDecideSend(t *testing.T) {
	at := func(secs ...int) []domain.Event {
		var out []domain.Event
		for i, s := range secs {
			out = append(out, &mfaapi.SendCounted{At: t0.Add(time.Duration(s) * time.Second), SendID: strconv.Itoa(i)})
		}
		return out
	}
	for _, c := range []struct {
		name    string
		history []domain.Event
		now     int
		wait    time.Duration
	}{
		{"first", nil, 0, 0},
		{"spacing", at(0), 10, 20 * time.Second},
		{"after spacing", at(0), 30, 0},
		{"window full", at(0, 30, 60, 90, 120), 150, 750 * time.Second},
		{"window slides", at(0, 30, 60, 90, 120), 900, 0},
	} {
		got, err := mfaapi.DecideSend(c.history, t0.Add(time.Duration(c.now)*time.Second), "s")
		var th domain.Throttled
		switch {
		case c.wait == 0 && (err != nil || len(got) != 1):
			t.Errorf("%s: %v %v", c.name, got, err)
		case c.wait != 0 && (!errors.As(err, &th) || th.RetryAfter != c.wait):
			t.Errorf("%s: %v, want a wait of %s", c.name, err, c.wait)
		}
	}
}

// A send decided again after its count committed finds its own count: no
// second count, and no refusal for the spacing its own count set.
func TestDecideSendFindsItsOwnCount(t *testing.T) {
	history := []domain.Event{&mfaapi.SendCounted{At: t0, SendID: "a"}}
	if got, err := mfaapi.DecideSend(history, t0.Add(time.Second), "a"); err != nil || len(got) != 0 {
		t.Fatalf("own count: %v %v", got, err)
	}
	var th domain.Throttled
	if _, err := mfaapi.DecideSend(history, t0.Add(time.Second), "b"); !errors.As(err, &th) {
		t.Fatalf("another send within the spacing: %v", err)
	}
}

func TestSMSRegistrationAndVerification(t *testing.T) {
	u := newUser()
	u.PrimaryPhone = "61412345678"
	for _, verified := range []bool{false, true} {
		started, err := mfaapi.Start(mfaapi.StartRegistration{RegistrationID: "r", FactorID: "f", User: u, Factors: factors,
			FactorConfigID: 2, DisplayName: "phone", ExpiresIn: 120, Verified: verified, Secret: sealed, Now: t0})
		if err != nil || started.Kind != mfaapi.KindSMS || started.Destination != "61412345678" || started.Secret != nil {
			t.Fatalf("verified=%v: %+v %v", verified, started, err)
		}
	}
	started, _ := mfaapi.Start(mfaapi.StartRegistration{RegistrationID: "r", FactorID: "f", User: u, Factors: factors,
		FactorConfigID: 2, DisplayName: "phone", ExpiresIn: 120, Now: t0})
	out := mfaapi.AcceptVerified(*started, u, t0)
	added, ok := firstOf[*user.MFAFactorAdded](out.User)
	if out.Status != "accepted" || !ok || added.Factor.Type != user.FactorPhone || added.Factor.Destination != "61412345678" {
		t.Fatalf("accept verified: %+v", out)
	}
	sent := &mfaapi.CodeRequested{SendID: "s", Channel: "sms", To: "61412345678"}
	reg := mfaapi.FoldRegistration([]domain.Event{started, sent, &mfaapi.CodeSent{SendID: "s"}})
	if reg.Code == nil || reg.Code.SendID != "s" {
		t.Fatalf("fold: %+v", reg)
	}
	conf, err := mfaapi.Confirm(reg, u, true, 0, t0)
	if err != nil || conf.Status != "accepted" {
		t.Fatalf("confirm: %+v %v", conf, err)
	}
	if _, err := mfaapi.Confirm(reg, &user.State{ID: "7", Exists: true, Factors: []user.Factor{added.Factor}}, true, 0, t0); !errors.Is(err, mfaapi.ErrForbidden) {
		t.Fatalf("second SMS device: %v", err)
	}

	u.Factors = []user.Factor{added.Factor}
	vs, d, err := mfaapi.StartVerification("v", factors, u, user.DeviceID("f"), 120, t0)
	if err != nil || vs.Kind != mfaapi.KindSMS || d.Destination != "61412345678" || mfaapi.Channel(d.Kind) != "sms" {
		t.Fatalf("start verification: %+v %+v %v", vs, d, err)
	}
	without := mfaapi.FoldVerification([]domain.Event{vs})
	if o, _ := mfaapi.Verify(without, u, user.TempToken{}, mfaapi.Check{CodeMatched: true}, t0); o.Status != "pending" {
		t.Fatalf("a match without a code sent: %+v", o)
	}
	v := mfaapi.FoldVerification([]domain.Event{vs, sent})
	o, err := mfaapi.Verify(v, u, user.TempToken{}, mfaapi.Check{CodeMatched: true}, t0)
	if err != nil || o.Status != "accepted" || !reflect.DeepEqual(types(o.Verification), []string{"mfa.verification.accepted"}) || len(o.User) != 0 {
		t.Fatalf("verify: %+v %v", o, err)
	}
}
