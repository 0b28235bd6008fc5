package user_test

import (
	"testing"

	"github.com/authtrail/authtrail/domain/user"
)

func TestCanonicalPhone(t *testing.T) {
	tests := []struct {
		name, phone, want string
	}{
		{"Logto: valid US number", "12025550123", "12025550123"},
		{"Logto: strips the plus", "+12025550123", "12025550123"},
		{"Logto: strips the trunk zero", "610412345678", "61412345678"},
		{"Logto: strips punctuation", "+61 (0) 412 345 678", "61412345678"},
		{"Logto: unparsable keeps its digits", "0123", "0123"},
		{"Logto: too short keeps its digits", "456", "456"},
		{"already canonical", "61412345678", "61412345678"},
		{"UK trunk zero", "4407911123456", "447911123456"},
		{"UK canonical", "447911123456", "447911123456"},
		{"German trunk zero", "4903012345678", "493012345678"},
		{"Italian leading zero is part of the number", "390612345678", "390612345678"},
		{"Chinese mobile", "8613812345678", "8613812345678"},
		{"unknown country code keeps its digits", "99912345678", "99912345678"},
		{"too long keeps its digits", "1234567890123456789012", "1234567890123456789012"},
		{"empty", "", ""},
		{"no digits", "+-() ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := user.CanonicalPhone(tt.phone); got != tt.want {
				t.Errorf("CanonicalPhone(%q) = %q, want %q", tt.phone, got, tt.want)
			}
		})
	}
}

func TestCanonicalPhoneMatchesTrunkPrefixVariants(t *testing.T) {
	if a, b := user.CanonicalPhone("61412345678"), user.CanonicalPhone("610412345678"); a != b {
		t.Errorf("61412345678 → %q but 610412345678 → %q", a, b)
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ phone, want string }{
		{"61412345678", "****5678"},
		{"12025550123", "****0123"},
		{"1234", "****1234"},
		{"123", "****123"},
		{"", "****"},
	}
	for _, tt := range tests {
		if got := user.MaskPhone(tt.phone); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.phone, got, tt.want)
		}
	}
}

func TestMaskEmail(t *testing.T) {
	tests := []struct{ email, want string }{
		{"alexander@example.com", "alex****@example.com"},
		{"alice@example.com", "alic****@example.com"},
		{"anna@example.com", "****@example.com"}, // exactly 4: nothing shown
		{"bob@x.com", "****@x.com"},
		{"@x.com", "****@x.com"},
		{"jérôme.d@exemple.fr", "jérô****@exemple.fr"},
		{"no-at-sign", "no-a****@"},
		{"a@b@c.com", "****@b"},
		{"", "****@"},
	}
	for _, tt := range tests {
		if got := user.MaskEmail(tt.email); got != tt.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", tt.email, got, tt.want)
		}
	}
}
