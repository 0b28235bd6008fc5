// Package emailpolicy applies Logto's emailBlocklistPolicy to an address
// offered for a new account or profile (spec §2.15).
package emailpolicy

import "strings"

// Logto error codes returned by Check.
const (
	CodeSubaddressingNotAllowed = "session.email_blocklist.email_subaddressing_not_allowed" // 422
	CodeNotAllowed              = "session.email_blocklist.email_not_allowed"               // 422
	CodeInvalidEmail            = "session.email_blocklist.invalid_email"                   // 400
)

// Policy mirrors settings.EmailBlocklistPolicy; the caller converts, so this
// package stays free of configuration types.
type Policy struct {
	// BlockDisposableAddresses is carried for completeness but not enforced:
	// Logto asks a cloud-only service, and disposable lists are out of scope
	// (spec §6.3).
	BlockDisposableAddresses bool
	BlockSubaddressing       bool
	CustomAllowlist          []string
	CustomBlocklist          []string
}

// Check returns "" when email passes, else the Logto error code. The order
// follows Logto's validateEmailAgainstBlocklistPolicy: a missing domain is
// rejected first and regardless of the settings, then subaddressing, then
// the allowlist (when non-empty), then the blocklist.
func (p Policy) Check(email string) string {
	parts := strings.Split(email, "@")
	if len(parts) < 2 || parts[1] == "" {
		return CodeInvalidEmail
	}
	if p.BlockSubaddressing && strings.Contains(parts[0], "+") {
		return CodeSubaddressingNotAllowed
	}
	if len(p.CustomAllowlist) > 0 && !matchesAny(p.CustomAllowlist, email) {
		return CodeNotAllowed
	}
	if matchesAny(p.CustomBlocklist, email) {
		return CodeNotAllowed
	}
	return ""
}

func matchesAny(entries []string, email string) bool {
	for _, entry := range entries {
		if Matches(entry, email) {
			return true
		}
	}
	return false
}
