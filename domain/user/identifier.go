package user

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/authtrail/authtrail/domain"
)

// ClaimAggregateType names the aggregates that hold unique values:
// events.claim.<kind>-<sha256>. Claiming one means appending to an empty
// subject, so two writers can never both own a value; the subject's last
// event is also the look-up from value to user.
const ClaimAggregateType = "claim"

// Kinds of unique identifiers.
const (
	KindUsername = "username"
	KindEmail    = "email"
	KindPhone    = "phone"
	// KindWebAuthn: a WebAuthn credential id (base64url), unique across users.
	KindWebAuthn = "webauthn"
)

// IdentifierClaimed records that a user owns a unique identifier value.
type IdentifierClaimed struct {
	Kind   string `json:"kind"`
	UserID string `json:"userId"`
}

// IdentifierReleased frees a value again (for a later claim by anyone).
type IdentifierReleased struct {
	Kind   string `json:"kind"`
	UserID string `json:"userId"`
}

func (IdentifierClaimed) EventType() string  { return "claim.identifier.claimed" }
func (IdentifierReleased) EventType() string { return "claim.identifier.released" }

// ClaimEvents decodes stored claim events.
var ClaimEvents = domain.Registry{
	"claim.identifier.claimed":  func() domain.Event { return &IdentifierClaimed{} },
	"claim.identifier.released": func() domain.Event { return &IdentifierReleased{} },
}

// ClaimID is the aggregate id for a normalised identifier value; hashing keeps
// personal data out of subjects.
func ClaimID(kind, normalized string) string {
	sum := sha256.Sum256([]byte(kind + ":" + normalized))
	return kind + "-" + hex.EncodeToString(sum[:])
}

// NormalizeEmail is the uniqueness and look-up key of an email (case-insensitive).
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// NormalizePhone keeps digits only, so "+61 412" and "61412" match.
func NormalizePhone(phone string) string {
	var b strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// emailPattern is Logto's shape of an email: something, @, something, a
// dot, something, without spaces.
var emailPattern = regexp.MustCompile(`^\S+@\S+\.\S+$`)

// WellFormedEmail reports whether email has the shape both APIs accept.
func WellFormedEmail(email string) bool { return emailPattern.MatchString(email) }
