// Package emailpolicy applies Logto's emailBlocklistPolicy to an address
// offered for a new account or profile (docs/experience.md, Email blocklist).
package emailpolicy

import (
	"strings"

	"github.com/authtrail/authtrail/domain"
)

// Policy mirrors settings.EmailBlocklistPolicy; the caller converts, so this
// package stays free of configuration types.
type Policy struct {
	// BlockDisposableAddresses is carried for completeness but not enforced:
	// Logto asks a cloud-only service, and disposable lists are out of scope
	// (docs/experience.md, decision 3).
	BlockDisposableAddresses bool
	BlockSubaddressing       bool
	CustomAllowlist          []string
	CustomBlocklist          []string
}

// Check returns nil when email passes, else its refusal (422
// session.email_blocklist.email_subaddressing_not_allowed or
// email_not_allowed, 400 invalid_email). The order
// follows Logto's validateEmailAgainstBlocklistPolicy: a missing domain is
// rejected first and regardless of the settings, then subaddressing, then
// the allowlist (when non-empty), then the blocklist.
func (p Policy) Check(email string) *domain.Error {
	parts := strings.Split(email, "@")
	if len(parts) < 2 || parts[1] == "" {
		return domain.E("session.email_blocklist.invalid_email")
	}
	if p.BlockSubaddressing && strings.Contains(parts[0], "+") {
		return domain.E("session.email_blocklist.email_subaddressing_not_allowed")
	}
	if len(p.CustomAllowlist) > 0 && !matchesAny(p.CustomAllowlist, email) ||
		matchesAny(p.CustomBlocklist, email) {
		return domain.E("session.email_blocklist.email_not_allowed")
	}
	return nil
}

func matchesAny(entries []string, email string) bool {
	for _, entry := range entries {
		if Matches(entry, email) {
			return true
		}
	}
	return false
}
