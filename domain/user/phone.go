package user

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// CanonicalPhone returns the E.164 digits (no `+`) of an international
// number, the form Logto stores. Parsing drops a national trunk prefix kept
// after the country code, so 610412345678 and 61412345678 both become
// 61412345678. A number that does not parse (unknown country code, too short
// or too long) falls back to its digits, as Logto keeps the raw value.
func CanonicalPhone(phone string) string {
	digits := NormalizePhone(phone)
	if digits == "" {
		return ""
	}
	number, err := phonenumbers.Parse("+"+digits, "")
	if err != nil {
		return digits
	}
	return strings.TrimPrefix(phonenumbers.Format(number, phonenumbers.E164), "+")
}

// MaskPhone shows only the last 4 characters, as Logto's maskPhone does in
// MFA hints: "61412345678" → "****5678".
func MaskPhone(phone string) string {
	runes := []rune(phone)
	return "****" + string(runes[max(len(runes)-4, 0):])
}

// MaskEmail keeps the first 4 characters of a local part longer than 4, then
// "****@" and the domain, as Logto's maskEmail does:
// "alexander@example.com" → "alex****@example.com", "bob@x.com" → "****@x.com".
func MaskEmail(email string) string {
	parts := strings.Split(email, "@")
	local := []rune(parts[0])
	domain := ""
	if len(parts) > 1 {
		domain = parts[1] // Logto keeps only the text between the first and second @
	}
	preview := ""
	if len(local) > 4 {
		preview = string(local[:4])
	}
	return preview + "****@" + domain
}
