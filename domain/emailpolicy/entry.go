package emailpolicy

import (
	"regexp"
	"strings"
	"unicode"
)

var gmailDomains = []string{"gmail.com", "googlemail.com"}

// plainDomain is the domain half of Logto's emailOrEmailDomainRegEx: dot-separated
// labels of letters, digits and inner hyphens, at least two labels.
var plainDomain = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$`)

// ValidEntry reports whether entry may appear in a custom allowlist or
// blocklist: `user@example.com` or `@example.com`, where `*` may stand for
// any run of characters in either part (`foo*@example.com`, `@*.example.com`,
// `@foo.*`). Mirrors Logto's isEmailBlocklistItem.
func ValidEntry(entry string) bool {
	if !strings.Contains(entry, "*") {
		local, domain, ok := strings.Cut(entry, "@")
		return ok && !containsSpace(local) && plainDomain.MatchString(domain)
	}
	if containsSpace(entry) {
		return false
	}
	if domain, ok := strings.CutPrefix(entry, "@"); ok {
		return validWildcardDomain(domain)
	}
	parts := strings.Split(entry, "@")
	return len(parts) == 2 && parts[0] != "" && validWildcardDomain(parts[1])
}

// validWildcardDomain accepts any characters but needs a dotted shape and at
// least one literal character, so `@*` or `@*.*` cannot block everyone.
func validWildcardDomain(domain string) bool {
	return strings.Contains(domain, ".") &&
		!strings.Contains(domain, "@") &&
		!strings.Contains(domain, "..") &&
		!strings.HasPrefix(domain, ".") &&
		!strings.HasSuffix(domain, ".") &&
		strings.Trim(domain, "*.") != ""
}

// containsSpace matches JavaScript's \s, which Logto's checks use.
func containsSpace(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r == '\uFEFF' || (r != '\u0085' && unicode.IsSpace(r))
	})
}

// Matches reports whether email matches a list entry, case-insensitively.
// A domain entry (`@…`) is compared with the domain only, an address entry
// with the whole address. Gmail treats gmail.com and googlemail.com as one
// domain and ignores dots in the local part, so both sides are compared that
// way when the email is a Gmail address. Mirrors Logto's matchesEmailBlocklistItem.
func Matches(entry, email string) bool {
	entry, email = strings.ToLower(entry), strings.ToLower(email)
	var domain string
	if parts := strings.Split(email, "@"); len(parts) > 1 {
		domain = parts[1]
	}
	isGmail := domain == gmailDomains[0] || domain == gmailDomains[1]

	if domainPattern, ok := strings.CutPrefix(entry, "@"); ok {
		if !isGmail {
			return domain != "" && globMatch(domainPattern, domain)
		}
		return globMatch(domainPattern, gmailDomains[0]) || globMatch(domainPattern, gmailDomains[1])
	}
	if !isGmail {
		return globMatch(entry, email)
	}
	entry = withoutLocalDots(entry)
	local, _, _ := strings.Cut(withoutLocalDots(email), "@")
	return globMatch(entry, local+"@"+gmailDomains[0]) || globMatch(entry, local+"@"+gmailDomains[1])
}

// withoutLocalDots drops the dots before the first @.
func withoutLocalDots(address string) string {
	local, domain, ok := strings.Cut(address, "@")
	if !ok {
		return address
	}
	return strings.ReplaceAll(local, ".", "") + "@" + domain
}

// globMatch reports whether s matches pattern, where `*` stands for any run
// of characters and everything else is literal. It backtracks only to the
// last star, so the cost stays O(len(pattern)·len(s)) whatever the input:
// no user text is ever compiled as a regular expression.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, resume := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, resume = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			resume++
			p, i = star+1, resume
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
