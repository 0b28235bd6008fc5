package code

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Placeholders of OneLogin's SMS custom_message.
const (
	PlaceholderCode   = "{{otp_code}}"
	PlaceholderExpiry = "{{otp_expiry}}"
	// MaxSMSLength is the length a filled custom message may have.
	MaxSMSLength = 160
)

// FillTemplate fills a custom message: the code and the expiry in minutes.
func FillTemplate(tpl, code string, expiresIn time.Duration) string {
	minutes := strconv.Itoa(int(expiresIn / time.Minute))
	return strings.NewReplacer(PlaceholderCode, code, PlaceholderExpiry, minutes).Replace(tpl)
}

// ValidTemplate reports whether a custom message carries the code and fits
// one SMS once filled.
func ValidTemplate(tpl string, expiresIn time.Duration) bool {
	if !strings.Contains(tpl, PlaceholderCode) {
		return false
	}
	return utf8.RuneCountInString(FillTemplate(tpl, strings.Repeat("0", Digits), expiresIn)) <= MaxSMSLength
}
