package settings

import (
	"errors"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/domain/username"
)

var (
	noConnectors   = Connectors{}
	allConnectors  = Connectors{Email: true, SMS: true}
	emailConnector = Connectors{Email: true}
)

func boolPtr(b bool) *bool { return &b }

// emailSignUp is a valid passwordless-verified email setup to mutate.
func emailSignUp(s *SignInExperience) {
	s.SignUp = SignUp{Identifiers: []string{IdentifierEmail}, Password: true, Verify: true}
	s.SignIn.Methods = []SignInMethod{{Identifier: IdentifierEmail, Password: true, VerificationCode: true}}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name       string
		connectors Connectors
		edit       func(*SignInExperience)
		wantPath   string // empty: valid
		wantCode   string
		wantText   string
	}{
		{name: "default is valid", edit: func(*SignInExperience) {}},
		{name: "zero policies take defaults", edit: func(s *SignInExperience) {
			s.SentinelPolicy, s.VerificationCodePolicy = SentinelPolicy{}, VerificationCodePolicy{}
		}},
		{name: "email sign-up with connector", connectors: emailConnector, edit: emailSignUp},
		{name: "unknown sign-in mode", edit: func(s *SignInExperience) { s.SignInMode = "Foo" },
			wantPath: "signInExperience.signInMode",
			wantText: `signInExperience.signInMode: unknown value "Foo" (want SignIn, Register, SignInAndRegister)`},
		{name: "missing sign-in mode", edit: func(s *SignInExperience) { s.SignInMode = "" },
			wantPath: "signInExperience.signInMode", wantText: "missing (want"},
		{name: "unknown sign-up identifier", edit: func(s *SignInExperience) { s.SignUp.Identifiers = []string{"mail"} },
			wantPath: "signInExperience.signUp.identifiers[0]", wantText: `unknown value "mail"`},
		{name: "emailOrPhone is secondary only", edit: func(s *SignInExperience) { s.SignUp.Identifiers = []string{"emailOrPhone"} },
			wantPath: "signInExperience.signUp.identifiers[0]"},
		{name: "duplicated primary", connectors: allConnectors, edit: func(s *SignInExperience) {
			s.SignUp = SignUp{Identifiers: []string{"email", "email"}, Verify: true}
		}, wantPath: "signInExperience.signUp.identifiers[1]", wantCode: "sign_in_experiences.duplicated_sign_up_identifiers"},
		{name: "secondary repeats primary", edit: func(s *SignInExperience) {
			s.SignUp.SecondaryIdentifiers = []SecondaryIdentifier{{Identifier: "username"}}
		}, wantPath: "signInExperience.signUp.secondaryIdentifiers[0].identifier", wantCode: "sign_in_experiences.duplicated_sign_up_identifiers"},
		{name: "emailOrPhone overlaps phone", connectors: allConnectors, edit: func(s *SignInExperience) {
			s.SignUp = SignUp{Identifiers: []string{"phone"}, Verify: true,
				SecondaryIdentifiers: []SecondaryIdentifier{{Identifier: "emailOrPhone", Verify: true}}}
		}, wantPath: "signInExperience.signUp.secondaryIdentifiers[0].identifier", wantCode: "sign_in_experiences.duplicated_sign_up_identifiers"},
		{name: "unknown secondary", edit: func(s *SignInExperience) {
			s.SignUp.SecondaryIdentifiers = []SecondaryIdentifier{{Identifier: "fax"}}
		}, wantPath: "signInExperience.signUp.secondaryIdentifiers[0].identifier", wantText: `unknown value "fax"`},
		{name: "secondary without primary", connectors: allConnectors, edit: func(s *SignInExperience) {
			s.SignUp = SignUp{Verify: true, SecondaryIdentifiers: []SecondaryIdentifier{{Identifier: "email", Verify: true}}}
		}, wantPath: "signInExperience.signUp.secondaryIdentifiers", wantCode: "sign_in_experiences.missing_sign_up_identifiers"},
		{name: "email sign-up without verify", connectors: emailConnector, edit: func(s *SignInExperience) {
			emailSignUp(s)
			s.SignUp.Verify = false
		}, wantPath: "signInExperience.signUp.verify", wantCode: "sign_in_experiences.passwordless_requires_verify"},
		{name: "secondary email without its verify", connectors: emailConnector, edit: func(s *SignInExperience) {
			s.SignUp.Verify = true
			s.SignUp.SecondaryIdentifiers = []SecondaryIdentifier{{Identifier: "email"}}
		}, wantPath: "signInExperience.signUp.secondaryIdentifiers[0].verify", wantCode: "sign_in_experiences.passwordless_requires_verify"},
		{name: "secondary email without signUp.verify", connectors: emailConnector, edit: func(s *SignInExperience) {
			s.SignUp.SecondaryIdentifiers = []SecondaryIdentifier{{Identifier: "email", Verify: true}}
		}, wantPath: "signInExperience.signUp.verify", wantCode: "sign_in_experiences.passwordless_requires_verify"},
		{name: "email sign-up without connector", edit: emailSignUp,
			wantPath: "signInExperience.signUp.identifiers[0]", wantCode: "sign_in_experiences.enabled_connector_not_found"},
		{name: "emailOrPhone secondary needs SMS too", connectors: emailConnector, edit: func(s *SignInExperience) {
			s.SignUp.Verify = true
			s.SignUp.SecondaryIdentifiers = []SecondaryIdentifier{{Identifier: "emailOrPhone", Verify: true}}
		}, wantPath: "signInExperience.signUp.secondaryIdentifiers[0]", wantCode: "sign_in_experiences.enabled_connector_not_found",
			wantText: "SMS connector"},
		{name: "code sign-in without connector", edit: func(s *SignInExperience) {
			s.SignIn.Methods = append(s.SignIn.Methods, SignInMethod{Identifier: "phone", VerificationCode: true})
		}, wantPath: "signInExperience.signIn.methods[1].verificationCode", wantCode: "sign_in_experiences.enabled_connector_not_found"},
		{name: "password-only email sign-in needs no connector", edit: func(s *SignInExperience) {
			s.SignIn.Methods = append(s.SignIn.Methods, SignInMethod{Identifier: "email", Password: true})
		}},
		{name: "unknown sign-in identifier", edit: func(s *SignInExperience) { s.SignIn.Methods[0].Identifier = "nick" },
			wantPath: "signInExperience.signIn.methods[0].identifier"},
		{name: "duplicate sign-in method", edit: func(s *SignInExperience) {
			s.SignIn.Methods = append(s.SignIn.Methods, s.SignIn.Methods[0])
		}, wantPath: "signInExperience.signIn.methods[1].identifier"},
		{name: "method without factor", edit: func(s *SignInExperience) { s.SignIn.Methods[0].Password = false },
			wantPath: "signInExperience.signIn.methods[0]", wantCode: "sign_in_experiences.at_least_one_authentication_factor"},
		{name: "username with code", edit: func(s *SignInExperience) { s.SignIn.Methods[0].VerificationCode = true },
			wantPath: "signInExperience.signIn.methods[0].verificationCode"},
		{name: "passwordless sign-up needs code sign-in", connectors: emailConnector, edit: func(s *SignInExperience) {
			emailSignUp(s)
			s.SignUp.Password = false
			s.SignIn.Methods[0].VerificationCode = false
		}, wantPath: "signInExperience.signIn.methods[0].verificationCode", wantCode: "sign_in_experiences.code_sign_in_must_be_enabled"},
		{name: "unknown mfa factor", edit: func(s *SignInExperience) { s.MFA.Factors = []string{"Sms"} },
			wantPath: "signInExperience.mfa.factors[0]", wantText: `unknown value "Sms"`},
		{name: "duplicated mfa factor", edit: func(s *SignInExperience) { s.MFA.Factors = []string{"Totp", "Totp"} },
			wantPath: "signInExperience.mfa.factors[1]", wantCode: "sign_in_experiences.duplicated_mfa_factors"},
		{name: "backup code alone", edit: func(s *SignInExperience) { s.MFA.Factors = []string{"BackupCode"} },
			wantPath: "signInExperience.mfa.factors", wantCode: "sign_in_experiences.backup_code_cannot_be_enabled_alone"},
		{name: "email code both sign-in and mfa", connectors: emailConnector, edit: func(s *SignInExperience) {
			emailSignUp(s)
			s.MFA.Factors = []string{"Totp", "EmailVerificationCode"}
		}, wantPath: "signInExperience.mfa.factors[1]", wantCode: "sign_in_experiences.email_verification_code_cannot_be_used_for_mfa"},
		{name: "phone code both sign-in and mfa", connectors: allConnectors, edit: func(s *SignInExperience) {
			s.SignIn.Methods = append(s.SignIn.Methods, SignInMethod{Identifier: "phone", VerificationCode: true})
			s.MFA.Factors = []string{"PhoneVerificationCode"}
		}, wantPath: "signInExperience.mfa.factors[0]", wantCode: "sign_in_experiences.phone_verification_code_cannot_be_used_for_mfa"},
		{name: "email mfa factor needs connector", edit: func(s *SignInExperience) { s.MFA.Factors = []string{"EmailVerificationCode"} },
			wantPath: "signInExperience.mfa.factors[0]", wantCode: "sign_in_experiences.enabled_connector_not_found"},
		{name: "unknown mfa policy", edit: func(s *SignInExperience) { s.MFA.Policy = "Always" },
			wantPath: "signInExperience.mfa.policy"},
		{name: "unknown org mfa policy", edit: func(s *SignInExperience) { s.MFA.OrganizationRequiredMfaPolicy = "Sometimes" },
			wantPath: "signInExperience.mfa.organizationRequiredMfaPolicy"},
		{name: "absent org mfa policy", edit: func(s *SignInExperience) { s.MFA.OrganizationRequiredMfaPolicy = "" }},
		{name: "unknown forgot-password method", edit: func(s *SignInExperience) { s.ForgotPasswordMethods = []string{"Email"} },
			wantPath: "signInExperience.forgotPasswordMethods[0]"},
		{name: "forgot password needs connector", connectors: emailConnector, edit: func(s *SignInExperience) {
			s.ForgotPasswordMethods = []string{"EmailVerificationCode", "PhoneVerificationCode"}
		}, wantPath: "signInExperience.forgotPasswordMethods[1]", wantCode: "sign_in_experiences.forgot_password_method_requires_connector"},
		{name: "empty forgot-password list", edit: func(s *SignInExperience) { s.ForgotPasswordMethods = []string{} }},
		{name: "code expiry too short", edit: func(s *SignInExperience) { s.VerificationCodePolicy.ExpirationDuration = 59 },
			wantPath: "signInExperience.verificationCodePolicy.expirationDuration", wantText: "59 is out of range 60–3600"},
		{name: "code expiry too long", edit: func(s *SignInExperience) { s.VerificationCodePolicy.ExpirationDuration = 3601 },
			wantPath: "signInExperience.verificationCodePolicy.expirationDuration"},
		{name: "code retries too many", edit: func(s *SignInExperience) { s.VerificationCodePolicy.MaxRetryAttempts = 101 },
			wantPath: "signInExperience.verificationCodePolicy.maxRetryAttempts"},
		{name: "negative sentinel attempts", edit: func(s *SignInExperience) { s.SentinelPolicy.MaxAttempts = -1 },
			wantPath: "signInExperience.sentinelPolicy.maxAttempts"},
		{name: "negative lockout", edit: func(s *SignInExperience) { s.SentinelPolicy.LockoutDuration = -5 },
			wantPath: "signInExperience.sentinelPolicy.lockoutDuration"},
		{name: "username too long", edit: func(s *SignInExperience) { s.UsernamePolicy.MaxLength = 129 },
			wantPath: "signInExperience.usernamePolicy.maxLength"},
		{name: "username min above max", edit: func(s *SignInExperience) { s.UsernamePolicy.MinLength, s.UsernamePolicy.MaxLength = 10, 5 },
			wantPath: "signInExperience.usernamePolicy.maxLength"},
		{name: "username digits only", edit: func(s *SignInExperience) {
			s.UsernamePolicy.AllowedChars = usernameChars(false, false, true, false)
		}, wantPath: "signInExperience.usernamePolicy.allowedChars"},
		{name: "username underscore only", edit: func(s *SignInExperience) {
			s.UsernamePolicy.AllowedChars = usernameChars(false, false, false, true)
		}},
		{name: "password min zero after default is fine", edit: func(s *SignInExperience) { s.PasswordPolicy.Length.Min = 0 }},
		{name: "password negative min", edit: func(s *SignInExperience) { s.PasswordPolicy.Length.Min = -1 },
			wantPath: "signInExperience.passwordPolicy.length.min"},
		{name: "password max below min", edit: func(s *SignInExperience) { s.PasswordPolicy.Length.Min = 300 },
			wantPath: "signInExperience.passwordPolicy.length.max"},
		{name: "password character types", edit: func(s *SignInExperience) { s.PasswordPolicy.CharacterTypes.Min = 5 },
			wantPath: "signInExperience.passwordPolicy.characterTypes.min"},
		{name: "pwned needs a list", edit: func(s *SignInExperience) { s.PasswordPolicy.Rejects.Pwned = boolPtr(true) },
			wantPath: "signInExperience.passwordPolicy.rejects.breachedListFile"},
		{name: "pwned with a list", edit: func(s *SignInExperience) {
			s.PasswordPolicy.Rejects.Pwned, s.PasswordPolicy.Rejects.BreachedListFile = boolPtr(true), "breached.txt"
		}},
		{name: "captcha refused", edit: func(s *SignInExperience) { s.CaptchaPolicy.Enabled = true },
			wantPath: "signInExperience.captchaPolicy.enabled"},
		{name: "password expiration without period", edit: func(s *SignInExperience) { s.PasswordExpiration.Enabled = true },
			wantPath: "signInExperience.passwordExpiration.validPeriodDays", wantCode: "sign_in_experiences.password_expiration_invalid_period_days"},
		{name: "password expiration with period", edit: func(s *SignInExperience) {
			s.PasswordExpiration = PasswordExpiration{Enabled: true, ValidPeriodDays: 90}
		}},
		{name: "disposable list refused", edit: func(s *SignInExperience) { s.EmailBlocklistPolicy.BlockDisposableAddresses = true },
			wantPath: "signInExperience.emailBlocklistPolicy.blockDisposableAddresses"},
		{name: "blocklist patterns", edit: func(s *SignInExperience) {
			s.EmailBlocklistPolicy.CustomBlocklist = []string{"@mailinator.com", "foo*@example.com", "@*.example.com", "@foo.*", "a@b.c"}
		}},
		{name: "bad blocklist entry", edit: func(s *SignInExperience) {
			s.EmailBlocklistPolicy.CustomBlocklist = []string{"@ok.com", "mailinator.com"}
		}, wantPath: "signInExperience.emailBlocklistPolicy.customBlocklist[1]", wantCode: "sign_in_experiences.invalid_custom_email_blocklist_format"},
		{name: "bad allowlist entry", edit: func(s *SignInExperience) { s.EmailBlocklistPolicy.CustomAllowlist = []string{"@bad..com"} },
			wantPath: "signInExperience.emailBlocklistPolicy.customAllowlist[0]", wantCode: "sign_in_experiences.invalid_custom_email_blocklist_format"},
		{name: "profile field without name", edit: func(s *SignInExperience) { s.SignUpProfileFields = []ProfileField{{}} },
			wantPath: "signInExperience.signUpProfileFields[0].name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Default()
			tt.edit(&s)
			err := s.Validate(tt.connectors)
			if tt.wantPath == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate() = %v, want a *ValidationError at %s", err, tt.wantPath)
			}
			if ve.Path != tt.wantPath || ve.Code != tt.wantCode {
				t.Errorf("Validate() = path %q code %q, want path %q code %q (%v)", ve.Path, ve.Code, tt.wantPath, tt.wantCode, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.wantText)
			}
			if !strings.HasPrefix(err.Error(), tt.wantPath+": ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("Validate() = %q, want one line starting with the path", err)
			}
		})
	}
}

func usernameChars(lower, upper, numbers, underscore bool) username.AllowedChars {
	return username.AllowedChars{
		Lowercase: boolPtr(lower), Uppercase: boolPtr(upper), Numbers: boolPtr(numbers), Underscore: boolPtr(underscore),
	}
}

func TestValidateDoesNotModify(t *testing.T) {
	s := Default()
	s.SentinelPolicy = SentinelPolicy{}
	_ = s.Validate(noConnectors)
	if s.SentinelPolicy != (SentinelPolicy{}) {
		t.Fatalf("Validate changed its receiver: %+v", s.SentinelPolicy)
	}
}

func TestApplyDefaults(t *testing.T) {
	var s SignInExperience
	s.SentinelPolicy.MaxAttempts = 5
	s.ApplyDefaults()
	if s.SentinelPolicy != (SentinelPolicy{MaxAttempts: 5, LockoutDuration: 60}) {
		t.Errorf("sentinelPolicy = %+v, want the set value kept and lockout 60", s.SentinelPolicy)
	}
	if s.VerificationCodePolicy != (VerificationCodePolicy{ExpirationDuration: 600, MaxRetryAttempts: 10}) {
		t.Errorf("verificationCodePolicy = %+v", s.VerificationCodePolicy)
	}
	pw := s.PasswordPolicy
	if pw.Length.Min != 8 || pw.Length.Max != 256 || pw.CharacterTypes.Min != 1 {
		t.Errorf("passwordPolicy = %+v, want length 8–256, characterTypes 1", pw)
	}
	if s.UsernamePolicy.MinLength != 1 || s.UsernamePolicy.MaxLength != 128 {
		t.Errorf("usernamePolicy = %+v, want lengths 1–128", s.UsernamePolicy)
	}
}
