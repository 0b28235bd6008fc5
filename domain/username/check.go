package username

import (
	"regexp"
	"strings"
)

// Pattern is Logto's usernameRegEx: a letter or underscore, then word
// characters (ASCII letters, digits, underscore). Request guards use it too.
var Pattern = regexp.MustCompile(`^[A-Z_a-z]\w*$`)

// Violation suffixes; the caller reports 422 "user.username_" + suffix.
const (
	Required             = "required"
	StartsWithNumber     = "starts_with_number"
	InvalidCharsetHard   = "invalid_charset_hard"
	TooShort             = "too_short"
	TooLong              = "too_long"
	UppercaseNotAllowed  = "uppercase_not_allowed"
	LowercaseNotAllowed  = "lowercase_not_allowed"
	NumbersNotAllowed    = "numbers_not_allowed"
	UnderscoreNotAllowed = "underscore_not_allowed"
)

// Check returns the first violation of name, or "" when it is acceptable:
// first the hard floor that applies whatever the policy (non-empty, no
// leading digit, Pattern), then length, then the allowed character classes,
// in Logto's order.
func (p Policy) Check(name string) string {
	p = p.WithDefaults()
	switch {
	case name == "":
		return Required
	case name[0] >= '0' && name[0] <= '9':
		return StartsWithNumber
	case !Pattern.MatchString(name):
		return InvalidCharsetHard
	// Pattern admits ASCII only, so bytes count characters from here on.
	case len(name) < p.MinLength:
		return TooShort
	case len(name) > p.MaxLength:
		return TooLong
	case !*p.AllowedChars.Uppercase && strings.ContainsFunc(name, isUpper):
		return UppercaseNotAllowed
	case !*p.AllowedChars.Lowercase && strings.ContainsFunc(name, isLower):
		return LowercaseNotAllowed
	case !*p.AllowedChars.Numbers && strings.ContainsFunc(name, isDigit):
		return NumbersNotAllowed
	case !*p.AllowedChars.Underscore && strings.Contains(name, "_"):
		return UnderscoreNotAllowed
	}
	return ""
}

// Normalize returns the key for uniqueness and sign-in lookup: with
// caseSensitive false, Foo and foo are the same user.
func (p Policy) Normalize(name string) string {
	if p.CaseSensitive != nil && !*p.CaseSensitive {
		return strings.ToLower(name)
	}
	return name
}

func isUpper(r rune) bool { return r >= 'A' && r <= 'Z' }
func isLower(r rune) bool { return r >= 'a' && r <= 'z' }
func isDigit(r rune) bool { return r >= '0' && r <= '9' }
