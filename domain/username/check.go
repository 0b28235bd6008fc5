package username

import (
	"regexp"
	"strings"

	"github.com/authtrail/authtrail/domain"
)

// Pattern is Logto's usernameRegEx: a letter or underscore, then word
// characters (ASCII letters, digits, underscore). Request guards use it too.
var Pattern = regexp.MustCompile(`^[A-Z_a-z]\w*$`)

// Check returns the first violation of name as its registered error
// (422 user.username_*), or nil when it is acceptable:
// first the hard floor that applies whatever the policy (non-empty, no
// leading digit, Pattern), then length, then the allowed character classes,
// in Logto's order.
func (p Policy) Check(name string) *domain.Error {
	p = p.WithDefaults()
	switch {
	case name == "":
		return domain.E("user.username_required")
	case name[0] >= '0' && name[0] <= '9':
		return domain.E("user.username_starts_with_number")
	case !Pattern.MatchString(name):
		return domain.E("user.username_invalid_charset_hard")
	// Pattern admits ASCII only, so bytes count characters from here on.
	case len(name) < p.MinLength:
		return domain.E("user.username_too_short")
	case len(name) > p.MaxLength:
		return domain.E("user.username_too_long")
	case !*p.AllowedChars.Uppercase && strings.ContainsFunc(name, isUpper):
		return domain.E("user.username_uppercase_not_allowed")
	case !*p.AllowedChars.Lowercase && strings.ContainsFunc(name, isLower):
		return domain.E("user.username_lowercase_not_allowed")
	case !*p.AllowedChars.Numbers && strings.ContainsFunc(name, isDigit):
		return domain.E("user.username_numbers_not_allowed")
	case !*p.AllowedChars.Underscore && strings.Contains(name, "_"):
		return domain.E("user.username_underscore_not_allowed")
	}
	return nil
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
