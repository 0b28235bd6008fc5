package username_test

import (
	"strings"
	"testing"

	"github.com/authtrail/authtrail/domain"

	"github.com/authtrail/authtrail/domain/username"
)

func ptr(b bool) *bool { return &b }

// Logto's own test policies (username-policy.test.ts).
var (
	lowercaseOnly = username.Policy{
		CaseSensitive: ptr(true), MinLength: 4, MaxLength: 8,
		AllowedChars: username.AllowedChars{Lowercase: ptr(true), Uppercase: ptr(false), Numbers: ptr(false), Underscore: ptr(false)},
	}
	uppercaseOnly = username.Policy{
		CaseSensitive: ptr(true), MinLength: 4, MaxLength: 8,
		AllowedChars: username.AllowedChars{Lowercase: ptr(false), Uppercase: ptr(true), Numbers: ptr(false), Underscore: ptr(false)},
	}
)

func TestWithDefaults(t *testing.T) {
	got := username.Policy{}.WithDefaults()
	if !*got.CaseSensitive || got.MinLength != 1 || got.MaxLength != 128 {
		t.Fatalf("defaults = %+v", got)
	}
	a := got.AllowedChars
	if !*a.Lowercase || !*a.Uppercase || !*a.Numbers || !*a.Underscore {
		t.Fatalf("allowedChars defaults = %+v", a)
	}

	set := username.Policy{CaseSensitive: ptr(false), MinLength: 3, AllowedChars: username.AllowedChars{Numbers: ptr(false)}}
	got = set.WithDefaults()
	if *got.CaseSensitive || got.MinLength != 3 || got.MaxLength != 128 || *got.AllowedChars.Numbers || !*got.AllowedChars.Lowercase {
		t.Fatalf("explicit values lost: %+v", got)
	}
	*got.CaseSensitive = true
	if *set.CaseSensitive {
		t.Fatal("WithDefaults shares pointers with its receiver")
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		policy username.Policy
		input  string
		want   string
	}{
		// Hard floor.
		{"empty", username.Policy{}, "", "user.username_required"},
		{"leading digit", username.Policy{}, "1abc", "user.username_starts_with_number"},
		{"space", username.Policy{}, "ab c", "user.username_invalid_charset_hard"},
		{"dot", username.Policy{}, "john.doe", "user.username_invalid_charset_hard"},
		{"hyphen", username.Policy{}, "user-name", "user.username_invalid_charset_hard"},
		{"non-ascii letter", username.Policy{}, "josé", "user.username_invalid_charset_hard"},
		{"hard floor before policy", lowercaseOnly, "1A", "user.username_starts_with_number"},
		{"charset before length", lowercaseOnly, "a b", "user.username_invalid_charset_hard"},
		// Default policy accepts all of Logto's examples.
		{"lowercase", username.Policy{}, "abc", ""},
		{"mixed", username.Policy{}, "AbC_123", ""},
		{"leading underscore", username.Policy{}, "_x", ""},
		{"one char", username.Policy{}, "a", ""},
		{"128 chars", username.Policy{}, "a" + strings.Repeat("b", 127), ""},
		{"129 chars", username.Policy{}, "a" + strings.Repeat("b", 128), "user.username_too_long"},
		// Lowercase only, length 4–8.
		{"too short", lowercaseOnly, "abc", "user.username_too_short"},
		{"min length", lowercaseOnly, "abcd", ""},
		{"max length", lowercaseOnly, "abcdefgh", ""},
		{"too long", lowercaseOnly, "abcdefghi", "user.username_too_long"},
		{"length before chars", lowercaseOnly, "ABC", "user.username_too_short"},
		{"uppercase", lowercaseOnly, "abcD", "user.username_uppercase_not_allowed"},
		{"digit", lowercaseOnly, "abc1", "user.username_numbers_not_allowed"},
		{"underscore", lowercaseOnly, "ab_c", "user.username_underscore_not_allowed"},
		{"uppercase before digit", lowercaseOnly, "aB1_", "user.username_uppercase_not_allowed"},
		{"digit before underscore", lowercaseOnly, "ab1_", "user.username_numbers_not_allowed"},
		// Uppercase only.
		{"lowercase in upper-only", uppercaseOnly, "ABCd", "user.username_lowercase_not_allowed"},
		{"upper-only ok", uppercaseOnly, "ABCD", ""},
		{"lowercase before digit", uppercaseOnly, "ABc1", "user.username_lowercase_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.Code(tt.policy.Check(tt.input)); got != tt.want {
				t.Errorf("Check(%q) = %q, want %q", tt.input, got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		policy username.Policy
		input  string
		want   string
	}{
		{username.Policy{}, "FooBar", "FooBar"},
		{username.Policy{CaseSensitive: ptr(true)}, "FooBar", "FooBar"},
		{username.Policy{CaseSensitive: ptr(false)}, "FooBar", "foobar"},
		{username.Policy{CaseSensitive: ptr(false)}, "foo_1", "foo_1"},
	}
	for _, tt := range tests {
		if got := tt.policy.Normalize(tt.input); got != tt.want {
			t.Errorf("Normalize(%q) with caseSensitive=%v = %q, want %q", tt.input, tt.policy.CaseSensitive, got, tt.want)
		}
	}
}

func TestPattern(t *testing.T) {
	for input, want := range map[string]bool{
		"a": true, "_": true, "Z9_": true, "9a": false, "": false, "a-b": false, "a b": false, "é": false, "a\n": false,
	} {
		if got := username.Pattern.MatchString(input); got != want {
			t.Errorf("Pattern.MatchString(%q) = %v, want %v", input, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		policy  username.Policy
		wantErr bool
	}{
		{"defaults", username.Policy{}, false},
		{"min above max", username.Policy{MinLength: 10, MaxLength: 3}, true},
		{"negative min", username.Policy{MinLength: -1}, true},
		{"max above 128", username.Policy{MaxLength: 129}, true},
		{"numbers only", username.Policy{AllowedChars: username.AllowedChars{Lowercase: ptr(false), Uppercase: ptr(false), Underscore: ptr(false)}}, true},
		{"underscore as only leading class", username.Policy{AllowedChars: username.AllowedChars{Lowercase: ptr(false), Uppercase: ptr(false)}}, false},
		{"lowercase only", lowercaseOnly, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.policy.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}
