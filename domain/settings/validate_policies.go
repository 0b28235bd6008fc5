package settings

import (
	"fmt"
	"strings"
)

// Logto's defaults for policy values left at zero (docs/experience.md,
// Passwords and Lockout; docs/config.md, signInExperience).
const (
	defaultSentinelMaxAttempts       = 100
	defaultSentinelLockoutMinutes    = 60
	defaultCodeExpirationSeconds     = 600
	defaultCodeMaxRetryAttempts      = 10
	defaultPasswordMinLength         = 8
	defaultPasswordMaxLength         = 256
	defaultPasswordMinCharacterTypes = 1
	defaultUsernameMinLength         = 1
	defaultUsernameMaxLength         = 128
)

// ApplyDefaults fills the numeric policy values left at zero with Logto's
// defaults, as Logto does for a stored {} policy. Boolean defaults (the *bool
// fields) stay with the password and username packages.
func (s *SignInExperience) ApplyDefaults() {
	setIfZero(&s.SentinelPolicy.MaxAttempts, defaultSentinelMaxAttempts)
	setIfZero(&s.SentinelPolicy.LockoutDuration, defaultSentinelLockoutMinutes)
	setIfZero(&s.VerificationCodePolicy.ExpirationDuration, defaultCodeExpirationSeconds)
	setIfZero(&s.VerificationCodePolicy.MaxRetryAttempts, defaultCodeMaxRetryAttempts)
	setIfZero(&s.PasswordPolicy.Length.Min, defaultPasswordMinLength)
	setIfZero(&s.PasswordPolicy.Length.Max, defaultPasswordMaxLength)
	setIfZero(&s.PasswordPolicy.CharacterTypes.Min, defaultPasswordMinCharacterTypes)
	setIfZero(&s.UsernamePolicy.MinLength, defaultUsernameMinLength)
	setIfZero(&s.UsernamePolicy.MaxLength, defaultUsernameMaxLength)
}

func setIfZero(field *int, value int) {
	if *field == 0 {
		*field = value
	}
}

func validatePolicies(s SignInExperience, _ Connectors) error {
	checks := []func(SignInExperience) error{
		validateCodeAndSentinelPolicies, validateUsernamePolicy, validatePasswordPolicy,
		validateEmailBlocklistPolicy, validateCaptchaAndPasswordExpiration, validateProfileFields,
	}
	for _, check := range checks {
		if err := check(s); err != nil {
			return err
		}
	}
	return nil
}

func checkRange(path string, value, lowest, highest int) error {
	if value < lowest || value > highest {
		return invalidValue(path, "%d is out of range %d–%d", value, lowest, highest)
	}
	return nil
}

func checkAtLeast(path string, value, lowest int) error {
	if value < lowest {
		return invalidValue(path, "%d is below the minimum %d", value, lowest)
	}
	return nil
}

func validateCodeAndSentinelPolicies(s SignInExperience) error {
	p := siePath + ".verificationCodePolicy"
	if err := checkRange(p+".expirationDuration", s.VerificationCodePolicy.ExpirationDuration, 60, 3600); err != nil {
		return err
	}
	if err := checkRange(p+".maxRetryAttempts", s.VerificationCodePolicy.MaxRetryAttempts, 1, 100); err != nil {
		return err
	}
	p = siePath + ".sentinelPolicy"
	if err := checkAtLeast(p+".maxAttempts", s.SentinelPolicy.MaxAttempts, 1); err != nil {
		return err
	}
	return checkAtLeast(p+".lockoutDuration", s.SentinelPolicy.LockoutDuration, 1)
}

func validateUsernamePolicy(s SignInExperience) error {
	p, u := siePath+".usernamePolicy", s.UsernamePolicy
	if err := checkRange(p+".minLength", u.MinLength, 1, 128); err != nil {
		return err
	}
	if err := checkRange(p+".maxLength", u.MaxLength, 1, 128); err != nil {
		return err
	}
	if u.MaxLength < u.MinLength {
		return invalidValue(p+".maxLength", "%d is below minLength %d", u.MaxLength, u.MinLength)
	}
	// A username starts with a letter or underscore (docs/config.md, signInExperience), so one of them
	// must be allowed. Absent means allowed.
	allowed := func(b *bool) bool { return b == nil || *b }
	chars := u.AllowedChars
	if !allowed(chars.Lowercase) && !allowed(chars.Uppercase) && !allowed(chars.Underscore) {
		return invalidValue(p+".allowedChars", "allow at least one of lowercase, uppercase or underscore")
	}
	return nil
}

func validatePasswordPolicy(s SignInExperience) error {
	p, pw := siePath+".passwordPolicy", s.PasswordPolicy
	if err := checkAtLeast(p+".length.min", pw.Length.Min, 1); err != nil {
		return err
	}
	if pw.Length.Max < pw.Length.Min {
		return invalidValue(p+".length.max", "%d is below length.min %d", pw.Length.Max, pw.Length.Min)
	}
	if err := checkRange(p+".characterTypes.min", pw.CharacterTypes.Min, 1, 4); err != nil {
		return err
	}
	// Breached passwords come from a local list, never the network (docs/experience.md, decision 10).
	if pw.Rejects.Pwned != nil && *pw.Rejects.Pwned && pw.Rejects.BreachedListFile == "" {
		return invalidValue(p+".rejects.breachedListFile", "required when rejects.pwned is true")
	}
	return nil
}

func validateEmailBlocklistPolicy(s SignInExperience) error {
	p, b := siePath+".emailBlocklistPolicy", s.EmailBlocklistPolicy
	if b.BlockDisposableAddresses {
		return invalidValue(p+".blockDisposableAddresses", "not supported (no disposable-domain list); keep false")
	}
	lists := []struct {
		key     string
		entries []string
	}{{"customAllowlist", b.CustomAllowlist}, {"customBlocklist", b.CustomBlocklist}}
	for _, list := range lists {
		for i, entry := range list.entries {
			if !isEmailOrDomainPattern(entry) {
				return invalid(fmt.Sprintf("%s.%s[%d]", p, list.key, i), "invalid_custom_email_blocklist_format",
					"%q is not an email or domain pattern such as foo@example.com, @example.com or @*.example.com", entry)
			}
		}
	}
	return nil
}

// isEmailOrDomainPattern accepts user@domain or @domain, with * wildcards in
// either part (docs/experience.md, Email blocklist).
func isEmailOrDomainPattern(entry string) bool {
	local, domain, ok := strings.Cut(entry, "@")
	if !ok || strings.ContainsAny(local, " \t@") || domain == "" {
		return false
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" {
			return false
		}
		for _, r := range label {
			isAlnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
			if !isAlnum && r != '-' && r != '*' {
				return false
			}
		}
	}
	return true
}

// validateCaptchaAndPasswordExpiration refuses captcha, which authtrail does
// not implement, rather than silently ignoring it (docs/experience.md, decision 3).
func validateCaptchaAndPasswordExpiration(s SignInExperience) error {
	if s.CaptchaPolicy.Enabled {
		return invalidValue(siePath+".captchaPolicy.enabled", "captcha is not supported; keep false")
	}
	if s.PasswordExpiration.Enabled && s.PasswordExpiration.ValidPeriodDays < 1 {
		return invalid(siePath+".passwordExpiration.validPeriodDays", "password_expiration_invalid_period_days",
			"must be at least 1 when passwordExpiration.enabled is true")
	}
	return nil
}

func validateProfileFields(s SignInExperience) error {
	seen := map[string]bool{}
	for i, field := range s.SignUpProfileFields {
		path := fmt.Sprintf("%s.signUpProfileFields[%d].name", siePath, i)
		if field.Name == "" {
			return invalidValue(path, "missing")
		}
		if seen[field.Name] {
			return invalidValue(path, "%q is listed twice", field.Name)
		}
		seen[field.Name] = true
	}
	return nil
}
