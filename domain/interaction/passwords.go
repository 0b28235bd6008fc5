package interaction

import "github.com/authtrail/authtrail/domain/password"

// Passwords is what decisions need of password policy and hashing. Decisions
// call it lazily, in the spec's check order, so a request that fails an
// earlier check never pays for a hash.
type Passwords interface {
	// Issues checks the password policy (with the breached list, if any).
	Issues(pw string, info password.UserInfo) []password.Issue
	// Matches compares pw with a stored digest.
	Matches(pw, digest string) bool
	// Digest hashes pw for storage.
	Digest(pw string) (string, error)
}
