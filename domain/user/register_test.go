package user_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/user"
)

func TestRegister(t *testing.T) {
	profile := user.Registered{Username: "ann", PrimaryEmail: "ann@example.com", PasswordDigest: "d"}
	drawn := 0
	newID := func() string { drawn++; return "7" }
	tests := []struct {
		name      string
		taken     map[string]bool
		wantKinds []string
		wantCode  string
	}{
		{"free", nil, nil, ""},
		{"username taken", map[string]bool{user.KindUsername: true}, []string{"username"}, "user.username_already_in_use"},
		{"email and username taken", map[string]bool{user.KindEmail: true, user.KindUsername: true}, []string{"username", "email"}, "user.username_already_in_use"},
		{"email taken", map[string]bool{user.KindEmail: true}, []string{"email"}, "user.email_already_in_use"},
		{"a kind the profile lacks", map[string]bool{user.KindPhone: true}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drawn = 0
			ev, err := user.Register(profile, tt.taken, newID)
			if tt.wantCode == "" {
				if err != nil || ev.UserID != "7" || ev.Username != "ann" || drawn != 1 {
					t.Fatalf("Register = %+v, %v (drew %d ids)", ev, err, drawn)
				}
				return
			}
			var taken *user.TakenError
			if !errors.As(err, &taken) || !slices.Equal(taken.Kinds, tt.wantKinds) || domain.Code(err) != tt.wantCode || drawn != 0 {
				t.Fatalf("Register = %v (%s), want kinds %v and %s without drawing an id", err, domain.Code(err), tt.wantKinds, tt.wantCode)
			}
		})
	}
}
