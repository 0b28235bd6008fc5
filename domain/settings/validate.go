package settings

import (
	"fmt"
	"slices"
	"strings"
)

// Connectors says which connectors exist: message connectors, for the
// rules that need one to send codes; the social connectors' targets and
// whether any SSO connector is configured, for the keys that name them.
type Connectors struct {
	Email bool
	SMS   bool
	// SocialTargets are the social connectors' targets.
	SocialTargets []string
	SSO           bool
}

// ValidationError names the offending key path (rooted at signInExperience)
// and, when Logto has one for the rule, Logto's error code.
type ValidationError struct {
	Path    string
	Code    string
	Message string
}

func (e *ValidationError) Error() string {
	if e.Code == "" {
		return e.Path + ": " + e.Message
	}
	return e.Path + ": " + e.Message + " (" + e.Code + ")"
}

const siePath = "signInExperience"

// Accepted enum values, in the order error messages list them.
var (
	signInModeValues          = []string{ModeSignIn, ModeRegister, ModeSignInAndRegister}
	signUpIdentifierValues    = []string{IdentifierUsername, IdentifierEmail, IdentifierPhone}
	secondaryIdentifierValues = []string{IdentifierUsername, IdentifierEmail, IdentifierPhone, IdentifierEmailOrPhone}
	mfaFactorValues           = []string{"Totp", "WebAuthn", "BackupCode", "EmailVerificationCode", "PhoneVerificationCode"}
	mfaPolicyValues           = []string{"Mandatory", "UserControlled", "PromptAtSignInAndSignUp", "PromptOnlyAtSignIn",
		"NoPrompt", "PromptAtSignInAndSignUpMandatory", "PromptOnlyAtSignInMandatory"}
	orgMfaPolicyValues      = []string{"NoPrompt", "Mandatory"}
	forgotPasswordValues    = []string{"EmailVerificationCode", "PhoneVerificationCode"}
	codeMfaFactorIdentifier = map[string]string{"EmailVerificationCode": IdentifierEmail, "PhoneVerificationCode": IdentifierPhone}
)

// Validate checks s as ApplyDefaults completes it (zero numeric policy
// values mean "default"): enum values and the rules Logto enforces when an
// SIE is saved (docs/config.md, signInExperience), plus authtrail's scope decisions
// (docs/experience.md, Decisions). It returns the first *ValidationError found.
func (s SignInExperience) Validate(c Connectors) error {
	if problems := s.Problems(c); len(problems) > 0 {
		return problems[0]
	}
	return nil
}

// Problems runs every check of Validate and returns each one's first
// *ValidationError, so a configuration reports all its mistakes at once.
func (s SignInExperience) Problems(c Connectors) []error {
	s.ApplyDefaults()
	var out []error
	for _, check := range []func(SignInExperience, Connectors) error{
		validateSignInMode, validateSignUp, validateSignIn, validateMFA,
		validateForgotPasswordMethods, validatePolicies, validateFederated,
	} {
		if err := check(s, c); err != nil {
			out = append(out, err)
		}
	}
	return out
}

func invalid(path, code, format string, args ...any) *ValidationError {
	return &ValidationError{Path: path, Code: "sign_in_experiences." + code, Message: fmt.Sprintf(format, args...)}
}

func invalidValue(path, format string, args ...any) *ValidationError {
	return &ValidationError{Path: path, Message: fmt.Sprintf(format, args...)}
}

// checkEnum reports a value outside allowed; an empty value reads "missing".
func checkEnum(path, value string, allowed []string) error {
	if slices.Contains(allowed, value) {
		return nil
	}
	want := strings.Join(allowed, ", ")
	if value == "" {
		return invalidValue(path, "missing (want %s)", want)
	}
	return invalidValue(path, "unknown value %q (want %s)", value, want)
}

func validateSignInMode(s SignInExperience, _ Connectors) error {
	return checkEnum(siePath+".signInMode", s.SignInMode, signInModeValues)
}

// signUpEntry is a primary or secondary sign-up identifier with its key path.
type signUpEntry struct {
	path       string
	identifier string
	secondary  bool
	verify     bool
}

func signUpEntries(up SignUp) []signUpEntry {
	var entries []signUpEntry
	for i, id := range up.Identifiers {
		entries = append(entries, signUpEntry{path: fmt.Sprintf("%s.signUp.identifiers[%d]", siePath, i), identifier: id})
	}
	for i, sec := range up.SecondaryIdentifiers {
		path := fmt.Sprintf("%s.signUp.secondaryIdentifiers[%d]", siePath, i)
		entries = append(entries, signUpEntry{path: path, identifier: sec.Identifier, secondary: true, verify: sec.Verify})
	}
	return entries
}

func validateSignUp(s SignInExperience, c Connectors) error {
	up := s.SignUp
	entries := signUpEntries(up)
	seen := map[string]bool{}
	for _, e := range entries {
		path, allowed := e.path, signUpIdentifierValues
		if e.secondary {
			path, allowed = e.path+".identifier", secondaryIdentifierValues
		}
		if err := checkEnum(path, e.identifier, allowed); err != nil {
			return err
		}
		// emailOrPhone overlaps email and phone, so either one repeats it.
		overlaps := seen[e.identifier] ||
			e.identifier == IdentifierEmailOrPhone && (seen[IdentifierEmail] || seen[IdentifierPhone]) ||
			(e.identifier == IdentifierEmail || e.identifier == IdentifierPhone) && seen[IdentifierEmailOrPhone]
		if overlaps {
			return invalid(path, "duplicated_sign_up_identifiers", "%q repeats an earlier sign-up identifier", e.identifier)
		}
		seen[e.identifier] = true
	}
	if len(up.SecondaryIdentifiers) > 0 && len(up.Identifiers) == 0 {
		return invalid(siePath+".signUp.secondaryIdentifiers", "missing_sign_up_identifiers",
			"secondary identifiers need at least one primary signUp.identifiers entry")
	}
	for _, e := range entries {
		if e.identifier == IdentifierUsername {
			continue
		}
		if e.secondary && !e.verify {
			return invalid(e.path+".verify", "passwordless_requires_verify", "must be true for %q", e.identifier)
		}
		if !up.Verify {
			return invalid(siePath+".signUp.verify", "passwordless_requires_verify",
				"must be true when %s is %q", strings.TrimPrefix(e.path, siePath+"."), e.identifier)
		}
	}
	for _, e := range entries {
		if err := requireConnectorFor(e.path, e.identifier, c); err != nil {
			return err
		}
	}
	return nil
}

// requireConnectorFor checks that codes can be sent for identifier.
func requireConnectorFor(path, identifier string, c Connectors) error {
	needEmail := identifier == IdentifierEmail || identifier == IdentifierEmailOrPhone
	needSMS := identifier == IdentifierPhone || identifier == IdentifierEmailOrPhone
	if needEmail && !c.Email {
		return invalid(path, "enabled_connector_not_found", "%q needs an email connector (connectors.email)", identifier)
	}
	if needSMS && !c.SMS {
		return invalid(path, "enabled_connector_not_found", "%q needs an SMS connector (connectors.sms)", identifier)
	}
	return nil
}

func validateSignIn(s SignInExperience, c Connectors) error {
	seen := map[string]bool{}
	for i, m := range s.SignIn.Methods {
		path := fmt.Sprintf("%s.signIn.methods[%d]", siePath, i)
		if err := checkEnum(path+".identifier", m.Identifier, signUpIdentifierValues); err != nil {
			return err
		}
		if seen[m.Identifier] {
			return invalidValue(path+".identifier", "%q is listed twice", m.Identifier)
		}
		seen[m.Identifier] = true
		if !m.Password && !m.VerificationCode {
			return invalid(path, "at_least_one_authentication_factor", "enable password or verificationCode")
		}
		if m.VerificationCode && m.Identifier == IdentifierUsername {
			return invalidValue(path+".verificationCode", "a username cannot receive a verification code")
		}
		if m.VerificationCode {
			if err := requireConnectorFor(path+".verificationCode", m.Identifier, c); err != nil {
				return err
			}
		}
		if s.SignUp.Verify && !s.SignUp.Password && !m.VerificationCode && m.Identifier != IdentifierUsername {
			return invalid(path+".verificationCode", "code_sign_in_must_be_enabled",
				"must be true when sign-up verifies without a password")
		}
	}
	return nil
}

func validateMFA(s SignInExperience, c Connectors) error {
	mfa := s.MFA
	seen := map[string]bool{}
	for i, factor := range mfa.Factors {
		path := fmt.Sprintf("%s.mfa.factors[%d]", siePath, i)
		if err := checkEnum(path, factor, mfaFactorValues); err != nil {
			return err
		}
		if seen[factor] {
			return invalid(path, "duplicated_mfa_factors", "%q is listed twice", factor)
		}
		seen[factor] = true
		identifier, isCodeFactor := codeMfaFactorIdentifier[factor]
		if !isCodeFactor {
			continue
		}
		if m, ok := s.SignInMethodFor(identifier); ok && m.VerificationCode {
			return invalid(path, identifier+"_verification_code_cannot_be_used_for_mfa",
				"%s cannot be an MFA factor while %s sign-in uses verification codes", factor, identifier)
		}
		if err := requireConnectorFor(path, identifier, c); err != nil {
			return err
		}
	}
	if len(mfa.Factors) == 1 && mfa.Factors[0] == "BackupCode" {
		return invalid(siePath+".mfa.factors", "backup_code_cannot_be_enabled_alone", "BackupCode needs another factor")
	}
	if err := checkEnum(siePath+".mfa.policy", mfa.Policy, mfaPolicyValues); err != nil {
		return err
	}
	if mfa.OrganizationRequiredMfaPolicy == "" {
		return nil // absent means NoPrompt
	}
	return checkEnum(siePath+".mfa.organizationRequiredMfaPolicy", mfa.OrganizationRequiredMfaPolicy, orgMfaPolicyValues)
}

// validateForgotPasswordMethods: nil allows every method (docs/experience.md, decision 11);
// a listed method must be able to send its code.
func validateForgotPasswordMethods(s SignInExperience, c Connectors) error {
	seen := map[string]bool{}
	for i, method := range s.ForgotPasswordMethods {
		path := fmt.Sprintf("%s.forgotPasswordMethods[%d]", siePath, i)
		if err := checkEnum(path, method, forgotPasswordValues); err != nil {
			return err
		}
		if seen[method] {
			return invalidValue(path, "%q is listed twice", method)
		}
		seen[method] = true
		if method == "EmailVerificationCode" && !c.Email {
			return invalid(path, "forgot_password_method_requires_connector", "needs an email connector (connectors.email)")
		}
		if method == "PhoneVerificationCode" && !c.SMS {
			return invalid(path, "forgot_password_method_requires_connector", "needs an SMS connector (connectors.sms)")
		}
	}
	return nil
}

// validateFederated checks the keys of social sign-in and SSO against the
// configured connectors: each offered target is a social connector's, once;
// SSO is on only with an SSO connector.
func validateFederated(s SignInExperience, c Connectors) error {
	seen := map[string]bool{}
	for i, target := range s.SocialSignInConnectorTargets {
		path := fmt.Sprintf("%s.socialSignInConnectorTargets[%d]", siePath, i)
		if !slices.Contains(c.SocialTargets, target) {
			return invalid(path, "enabled_connector_not_found", "%q is not the target of a social connector (connectors.social)", target)
		}
		if seen[target] {
			return invalidValue(path, "%q is listed twice", target)
		}
		seen[target] = true
	}
	if s.SingleSignOnEnabled && !c.SSO {
		return invalid(siePath+".singleSignOnEnabled", "enabled_connector_not_found", "needs an SSO connector (connectors.sso)")
	}
	return nil
}
