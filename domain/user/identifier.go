package user

import (
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"strings"
	"unicode"

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

// WellFormedEmail reports whether email is an address both APIs accept:
// a bare RFC 5322 addr-spec (no display name, no comments, nothing a mail
// parser would rewrite) within RFC 5321's lengths (local part 64, address
// 254), at a domain of two or more letter-digit-hyphen labels. Logto's
// looser shape (something@something.something) let through addresses no
// mail server takes, such as ">@x.io" or ones holding a NUL byte, which
// then failed at delivery.
func WellFormedEmail(email string) bool {
	if len(email) > 254 {
		return false
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return false
	}
	at := strings.LastIndexByte(email, '@')
	return at <= 64 && wellFormedDomain(email[at+1:])
}

// wellFormedDomain: labels of 1 to 63 letters, digits and inner hyphens
// (letters of any script, for internationalised domains), at least two.
func wellFormedDomain(domain string) bool {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return true
}

// MaxPhoneDigits is E.164's longest number, country code included.
const MaxPhoneDigits = 15
