package interaction_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/user"
)

// A verification recorded on the user alone is folded by the interaction
// it names, as of that start, once; never by another interaction, a
// restarted one or another user's.
func TestAdoptFoldsTheUsesOfThisInteractionOnce(t *testing.T) {
	aliceUsed := func(uses ...domain.Event) *user.State {
		u := alice()
		for _, ev := range uses {
			u.Apply(ev)
		}
		return u
	}
	usedAfter := func(useID, interactionID string, start, after int) domain.Event {
		return &user.TotpStepUsed{FactorID: "totp", Step: 1, At: t0, UseID: useID, In: &user.UseIn{ID: interactionID, Start: start, After: after}}
	}
	used := func(useID, interactionID string, start int) domain.Event {
		return usedAfter(useID, interactionID, start, 0)
	}
	eventOf := func(use user.Use) (interaction.RecordEvent, bool) {
		return &made{ID: use.UseID, Type: "Noted", UserID: "1"}, use.FactorType == user.FactorTotp
	}
	identified := []domain.Event{started("SignIn"), &interaction.Identified{UserID: "1"}}
	cases := []struct {
		name    string
		history []domain.Event
		user    *user.State
		want    []string // the uses folded
	}{
		{"its own use", identified, aliceUsed(used("v1", "i1", 1)), []string{"v1"}},
		{"each of its uses, in order", identified, aliceUsed(used("v1", "i1", 1), used("v2", "i1", 1)), []string{"v1", "v2"}},
		{"another interaction's use", identified, aliceUsed(used("v1", "i2", 1)), nil},
		{"a use before a restart", append(identified, identified...), aliceUsed(used("v1", "i1", 1)), nil},
		{"a use after a restart", append(identified, identified...), aliceUsed(used("v1", "i1", 2)), []string{"v1"}},
		{"a use already in the interaction", append(identified, &made{ID: "v1", Type: "Noted", UserID: "1"}), aliceUsed(used("v1", "i1", 1)), nil},
		{"a use folded, then replaced by a newer record", append(identified, &made{ID: "v1", Type: "Noted", UserID: "1"}, &made{ID: "v2", Type: "Noted", UserID: "1"}),
			aliceUsed(used("v1", "i1", 1), used("v2", "i1", 1)), nil},
		// Where the use was decided: one record per type, the newest.
		{"a use decided before a record of its type", append(identified, &made{ID: "x", Type: "Noted", UserID: "1"}), aliceUsed(used("v1", "i1", 1)), nil},
		{"a use decided after a record of its type", append(identified, &made{ID: "x", Type: "Noted", UserID: "1"}), aliceUsed(usedAfter("v1", "i1", 1, 1)), []string{"v1"}},
		{"a use decided before a record of another type", append(identified, &made{ID: "x", Type: "Other", UserID: "1"}), aliceUsed(used("v1", "i1", 1)), []string{"v1"}},
		{"a use no method folds", identified, aliceUsed(&user.BackupCodeUsed{FactorID: "b", UseID: "v1", In: &user.UseIn{ID: "i1", Start: 1}}), nil},
		{"another user's use", []domain.Event{started("SignIn"), &interaction.Identified{UserID: "2"}}, aliceUsed(used("v1", "i1", 1)), nil},
		{"before identification", []domain.Event{started("SignIn")}, aliceUsed(used("v1", "i1", 1)), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := given(tc.history...)
			folded := s.Adopt("i1", tc.user, eventOf)
			var got []string
			for _, ev := range folded {
				got = append(got, ev.(*made).ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("folded %v, want %v", got, tc.want)
			}
			if n := len(tc.want); n > 0 { // one record per type: the newest stays
				if _, ok := s.Record(tc.want[n-1]); !ok {
					t.Errorf("record %s not in the state: %v", tc.want[n-1], s.Records)
				}
			}
			_, hadX := given(tc.history...).Record("x")
			replacedX := hadX && len(tc.want) > 0 && strings.HasSuffix(tc.name, "after a record of its type")
			if _, ok := s.Record("x"); ok != (hadX && !replacedX) {
				t.Errorf("record x in the state: %v, want it replaced only by a use decided after it", ok)
			}
			var adopted []string
			for _, v := range s.Adopted() {
				adopted = append(adopted, v.ID)
			}
			if fmt.Sprint(adopted) != fmt.Sprint(got) {
				t.Errorf("Adopted() = %v, want %v", s.Adopted(), got)
			}
			if again := s.Adopt("i1", tc.user, eventOf); len(again) != 0 {
				t.Errorf("folded %v a second time", again)
			}
		})
	}
}

// Read from its log alone, a submitted interaction holds the
// verifications it folded from the user as verified records, with their
// amr; records it holds already stay as they are.
func TestSubmittedVerificationsAreRecordsOfTheLog(t *testing.T) {
	s := given(started("SignIn"), &interaction.Identified{UserID: "1"}, &made{ID: "p", Type: "Password", UserID: "1"},
		&interaction.Submitted{Event: "SignIn", UserID: "1", Verifications: []interaction.Verification{
			{ID: "v1", Type: "Totp", AMR: "otp"}, {ID: "p", Type: "Password"}}})
	rec, ok := s.Record("v1")
	if !ok || !rec.Base().Verified || rec.Base().Type != "Totp" || rec.Base().UserID != "1" {
		t.Fatalf("record v1 = %+v, %v; want a verified Totp record of user 1", rec, ok)
	}
	if got := s.AMR(); fmt.Sprint(got) != "[otp]" {
		t.Errorf("AMR() = %v, want [otp]", got)
	}
	if p, _ := s.Record("p"); fmt.Sprintf("%T", p) == fmt.Sprintf("%T", rec) {
		t.Errorf("the password's record was replaced: %+v", p)
	}
}
