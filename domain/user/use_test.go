package user_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/user"
)

// The user keeps the last MaxUses verifications recorded on it alone, by
// interaction; a use without one (the MFA API's) is not kept.
func TestUsesAreKeptByInteractionAndBounded(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	events := []domain.Event{&user.Registered{UserID: "1", Username: "alice", CreatedAt: t0},
		&user.MFAFactorAdded{Factor: user.Factor{ID: "totp", Type: user.FactorTotp}},
		&user.TotpStepUsed{FactorID: "totp", Step: 1, At: t0, UseID: "api"}}
	for i := range user.MaxUses + 2 {
		events = append(events, &user.TotpStepUsed{FactorID: "totp", Step: uint64(i + 2), At: t0, UseID: fmt.Sprint("v", i),
			In: &user.UseIn{ID: fmt.Sprint("i", i%3), Start: 1}})
	}
	u := user.Fold(events)
	if len(u.Uses) != user.MaxUses || u.Uses[0].UseID != "v2" || u.Uses[len(u.Uses)-1].UseID != fmt.Sprint("v", user.MaxUses+1) {
		t.Fatalf("uses %+v, want the last %d", u.Uses, user.MaxUses)
	}
	cases := []struct {
		in   user.UseIn
		want int
	}{
		{user.UseIn{ID: "i0", Start: 1}, 5}, {user.UseIn{ID: "i1", Start: 1}, 5}, {user.UseIn{ID: "i2", Start: 1}, 6}, {user.UseIn{ID: "i0", Start: 2}, 0}, {user.UseIn{ID: "api"}, 0},
	}
	for _, tc := range cases {
		got := u.UsesIn(tc.in.ID, tc.in.Start)
		if len(got) != tc.want {
			t.Errorf("UsesIn(%+v) = %d uses, want %d", tc.in, len(got), tc.want)
		}
		for _, use := range got {
			if use.In.ID != tc.in.ID || use.In.Start != tc.in.Start || use.FactorType != user.FactorTotp || use.FactorID != "totp" {
				t.Errorf("UsesIn(%+v) gave %+v", tc.in, use)
			}
		}
	}
}
