// Package settings holds the sign-in experience (SIE): the Logto settings
// object that governs the Experience API (docs/config.md, signInExperience).
package settings

import (
	"github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/domain/username"
)

// Interaction events.
const (
	EventSignIn         = "SignIn"
	EventRegister       = "Register"
	EventForgotPassword = "ForgotPassword"
)

// Sign-in modes.
const (
	ModeSignIn            = "SignIn"
	ModeRegister          = "Register"
	ModeSignInAndRegister = "SignInAndRegister"
)

// Sign-in identifiers.
const (
	IdentifierUsername     = "username"
	IdentifierEmail        = "email"
	IdentifierPhone        = "phone"
	IdentifierEmailOrPhone = "emailOrPhone"
)

// SignInExperience is the subset of Logto's SIE that the server enforces.
// JSON and YAML use Logto's key names.
type SignInExperience struct {
	SignInMode   string       `json:"signInMode" yaml:"signInMode"`
	SignUp       SignUp       `json:"signUp" yaml:"signUp"`
	SignIn       SignIn       `json:"signIn" yaml:"signIn"`
	SocialSignIn SocialSignIn `json:"socialSignIn" yaml:"socialSignIn"`
	// SocialSignInConnectorTargets are the social connectors' targets the
	// sign-in page offers, in order (each a configured connector's).
	SocialSignInConnectorTargets []string               `json:"socialSignInConnectorTargets" yaml:"socialSignInConnectorTargets"`
	SingleSignOnEnabled          bool                   `json:"singleSignOnEnabled" yaml:"singleSignOnEnabled"`
	PasswordPolicy               password.Policy        `json:"passwordPolicy" yaml:"passwordPolicy"`
	UsernamePolicy               username.Policy        `json:"usernamePolicy" yaml:"usernamePolicy"`
	MFA                          MFA                    `json:"mfa" yaml:"mfa"`
	PasskeySignIn                PasskeySignIn          `json:"passkeySignIn" yaml:"passkeySignIn"`
	CaptchaPolicy                CaptchaPolicy          `json:"captchaPolicy" yaml:"captchaPolicy"`
	SentinelPolicy               SentinelPolicy         `json:"sentinelPolicy" yaml:"sentinelPolicy"`
	VerificationCodePolicy       VerificationCodePolicy `json:"verificationCodePolicy" yaml:"verificationCodePolicy"`
	EmailBlocklistPolicy         EmailBlocklistPolicy   `json:"emailBlocklistPolicy" yaml:"emailBlocklistPolicy"`
	// ForgotPasswordMethods: nil allows every method (docs/experience.md, decision 11).
	ForgotPasswordMethods []string           `json:"forgotPasswordMethods" yaml:"forgotPasswordMethods"`
	PasswordExpiration    PasswordExpiration `json:"passwordExpiration" yaml:"passwordExpiration"`
	SignUpProfileFields   []ProfileField     `json:"signUpProfileFields" yaml:"signUpProfileFields"`
}

type SignUp struct {
	Identifiers          []string              `json:"identifiers" yaml:"identifiers"`
	Password             bool                  `json:"password" yaml:"password"`
	Verify               bool                  `json:"verify" yaml:"verify"`
	SecondaryIdentifiers []SecondaryIdentifier `json:"secondaryIdentifiers,omitempty" yaml:"secondaryIdentifiers"`
}

type SecondaryIdentifier struct {
	Identifier string `json:"identifier" yaml:"identifier"`
	Verify     bool   `json:"verify" yaml:"verify"`
}

type SignIn struct {
	Methods []SignInMethod `json:"methods" yaml:"methods"`
}

type SignInMethod struct {
	Identifier        string `json:"identifier" yaml:"identifier"`
	Password          bool   `json:"password" yaml:"password"`
	VerificationCode  bool   `json:"verificationCode" yaml:"verificationCode"`
	IsPasswordPrimary bool   `json:"isPasswordPrimary" yaml:"isPasswordPrimary"`
}

type SocialSignIn struct {
	AutomaticAccountLinking bool `json:"automaticAccountLinking" yaml:"automaticAccountLinking"`
	SkipRequiredIdentifiers bool `json:"skipRequiredIdentifiers" yaml:"skipRequiredIdentifiers"`
}

type MFA struct {
	Factors                       []string `json:"factors" yaml:"factors"`
	Policy                        string   `json:"policy" yaml:"policy"`
	OrganizationRequiredMfaPolicy string   `json:"organizationRequiredMfaPolicy,omitempty" yaml:"organizationRequiredMfaPolicy"`
}

type PasskeySignIn struct {
	Enabled           bool `json:"enabled" yaml:"enabled"`
	ShowPasskeyButton bool `json:"showPasskeyButton" yaml:"showPasskeyButton"`
	AllowAutofill     bool `json:"allowAutofill" yaml:"allowAutofill"`
}

type CaptchaPolicy struct {
	Enabled bool `json:"enabled" yaml:"enabled"`
}

// SentinelPolicy: LockoutDuration is in minutes, as in Logto.
type SentinelPolicy struct {
	MaxAttempts     int `json:"maxAttempts" yaml:"maxAttempts"`
	LockoutDuration int `json:"lockoutDuration" yaml:"lockoutDuration"`
}

// VerificationCodePolicy: ExpirationDuration is in seconds, as in Logto.
type VerificationCodePolicy struct {
	ExpirationDuration int `json:"expirationDuration" yaml:"expirationDuration"`
	MaxRetryAttempts   int `json:"maxRetryAttempts" yaml:"maxRetryAttempts"`
}

type EmailBlocklistPolicy struct {
	BlockDisposableAddresses bool     `json:"blockDisposableAddresses" yaml:"blockDisposableAddresses"`
	BlockSubaddressing       bool     `json:"blockSubaddressing" yaml:"blockSubaddressing"`
	CustomAllowlist          []string `json:"customAllowlist" yaml:"customAllowlist"`
	CustomBlocklist          []string `json:"customBlocklist" yaml:"customBlocklist"`
}

// PasswordExpiration: EnabledAt is epoch milliseconds, as in Logto.
type PasswordExpiration struct {
	Enabled         bool  `json:"enabled" yaml:"enabled"`
	ValidPeriodDays int   `json:"validPeriodDays,omitempty" yaml:"validPeriodDays"`
	EnabledAt       int64 `json:"enabledAt,omitempty" yaml:"enabledAt"`
}

type ProfileField struct {
	Name     string `json:"name" yaml:"name"`
	Required bool   `json:"required,omitempty" yaml:"required"`
}

// Default is the SIE of a new Logto OSS tenant, with authtrail's decisions
// (docs/config.md, signInExperience): username and password sign-up and sign-in.
func Default() SignInExperience {
	return SignInExperience{
		SignInMode: ModeSignInAndRegister,
		SignUp:     SignUp{Identifiers: []string{IdentifierUsername}, Password: true},
		SignIn: SignIn{Methods: []SignInMethod{
			{Identifier: IdentifierUsername, Password: true, IsPasswordPrimary: true},
		}},
		MFA:                    MFA{Factors: []string{}, Policy: "UserControlled", OrganizationRequiredMfaPolicy: "NoPrompt"},
		SentinelPolicy:         SentinelPolicy{MaxAttempts: 100, LockoutDuration: 60},
		VerificationCodePolicy: VerificationCodePolicy{ExpirationDuration: 600, MaxRetryAttempts: 10},
	}
}

// SignInMethodFor returns the sign-in method configured for identifier.
func (s *SignInExperience) SignInMethodFor(identifier string) (SignInMethod, bool) {
	for _, m := range s.SignIn.Methods {
		if m.Identifier == identifier {
			return m, true
		}
	}
	return SignInMethod{}, false
}

// AllowsEvent reports whether signInMode lets an interaction run event.
// ForgotPassword is always allowed.
func (s *SignInExperience) AllowsEvent(event string) bool {
	switch event {
	case EventSignIn:
		return s.SignInMode != ModeRegister
	case EventRegister:
		return s.SignInMode != ModeSignIn
	}
	return true
}

// IsSignUpIdentifier reports whether identifier (email or phone) is a primary
// or secondary sign-up identifier, counting emailOrPhone.
func (s *SignInExperience) IsSignUpIdentifier(identifier string) bool {
	for _, id := range s.SignUp.Identifiers {
		if id == identifier {
			return true
		}
	}
	for _, sec := range s.SignUp.SecondaryIdentifiers {
		if sec.Identifier == identifier || sec.Identifier == IdentifierEmailOrPhone && identifier != IdentifierUsername {
			return true
		}
	}
	return false
}
