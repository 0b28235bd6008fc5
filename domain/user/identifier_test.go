package user

import (
	"strings"
	"testing"
)

func TestWellFormedEmail(t *testing.T) {
	for email, want := range map[string]bool{
		"ann@example.com":                        true,
		"Ann.Lee+tag@mail.example.io":            true,
		"o'brien@example.co.uk":                  true,
		"jörg@bücher.de":                         true,
		">@x.io":                                 false,
		"a\x00b@example.com":                     false,
		"ann@example.com\x00":                    false,
		"Ann <ann@example.com>":                  false,
		"ann@example.com (work)":                 false,
		"ann@localhost":                          false,
		"ann@-example.com":                       false,
		"ann@example..com":                       false,
		"ann@exa_mple.com":                       false,
		"a b@example.com":                        false,
		"@example.com":                           false,
		"ann@":                                   false,
		strings.Repeat("a", 65) + "@example.com": false,
		strings.Repeat("a", 64) + "@example.com": true,
		"a@" + strings.Repeat("b", 64) + ".com":  false,
		"a@" + strings.Repeat("b.", 130) + "com": false,
	} {
		if got := WellFormedEmail(email); got != want {
			t.Errorf("WellFormedEmail(%q) = %v, want %v", email, got, want)
		}
	}
}
