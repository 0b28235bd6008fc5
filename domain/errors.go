package domain

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a business error with its wire code, HTTP status and optional
// data. Every code lives in the registry below, so status and message are
// decided in one place.
type Error struct {
	Code    string
	Status  int
	Message string
	Data    any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// WithData returns a copy of e carrying data for the error body.
func (e *Error) WithData(data any) *Error {
	c := *e
	c.Data = data
	return &c
}

// WithStatus returns a copy of e with another HTTP status, for the few codes
// Logto answers with different statuses on different routes.
func (e *Error) WithStatus(status int) *Error {
	c := *e
	c.Status = status
	return &c
}

// Is makes errors.Is match on the code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// E builds the registered error for code. An unregistered code is a
// programming mistake and panics, so typos surface in tests.
func E(code string) *Error {
	def, ok := registry[code]
	if !ok {
		panic(fmt.Sprintf("domain: unregistered error code %q", code))
	}
	return &Error{Code: code, Status: def.status, Message: def.message}
}

// AsError finds a *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Code returns err's wire code, or "" when it is not a business error.
func Code(err error) string {
	if e, ok := AsError(err); ok {
		return e.Code
	}
	return ""
}

type errorDef struct {
	status  int
	message string
}

const (
	s400 = http.StatusBadRequest
	s401 = http.StatusUnauthorized
	s403 = http.StatusForbidden
	s404 = http.StatusNotFound
	s409 = http.StatusConflict
	s413 = http.StatusRequestEntityTooLarge
	s422 = http.StatusUnprocessableEntity
	s429 = http.StatusTooManyRequests
	s500 = http.StatusInternalServerError
	s501 = http.StatusNotImplemented
	s503 = http.StatusServiceUnavailable
)

// registry is the single table of error codes (experience spec, appendix A).
var registry = map[string]errorDef{
	"guard.invalid_input":          {s400, "The request body is invalid."},
	"request.entity_too_large":     {s413, "The request body is too large."},
	"request.message_rate_limited": {s429, "Too many messages were sent to this recipient. Try again later."},
	"request.conflict":             {s409, "The interaction changed while this request ran. Retry."},
	"request.unavailable":          {s503, "The service is not ready yet. Retry shortly."},
	"unexpected":                   {s500, "Internal server error."},
	"auth.forbidden":               {s403, "This action is disabled by the sign-in experience."},

	"session.not_found":                                       {s400, "Session not found. Please go back and sign in again."},
	"session.interaction_not_found":                           {s404, "Interaction session not found. Start the interaction again."},
	"session.verification_session_not_found":                  {s404, "The verification was not found. Restart the verification flow and try again."},
	"session.verification_failed":                             {s400, "The verification was not successful. Restart the verification flow and try again."},
	"session.identifier_not_found":                            {s404, "The user is not identified yet."},
	"session.identity_conflict":                               {s409, "Another user is already identified in this interaction."},
	"session.invalid_interaction_type":                        {s400, "This action is not supported for the current interaction event."},
	"session.not_supported_for_forgot_password":               {s400, "This action is not supported for forgot password."},
	"session.invalid_credentials":                             {s422, "Wrong identifier or password."},
	"session.verification_blocked_too_many_attempts":          {s400, "Too many attempts. Try again later."},
	"session.captcha_required":                                {s422, "Captcha is required."},
	"session.captcha_failed":                                  {s422, "Captcha verification failed."},
	"session.sso_enabled":                                     {s422, "Single sign-on is enabled for this email domain."},
	"session.email_blocklist.email_not_allowed":               {s422, "This email address is not allowed."},
	"session.email_blocklist.email_subaddressing_not_allowed": {s422, "Email subaddressing is not allowed."},
	"session.email_blocklist.invalid_email":                   {s400, "The email address is invalid."},
	"session.mfa.require_mfa_verification":                    {s403, "MFA verification is required."},
	"session.mfa.mfa_factor_not_enabled":                      {s400, "The MFA factor is not enabled."},
	"session.mfa.pending_info_not_found":                      {s400, "The pending MFA information was not found."},
	"session.mfa.mfa_policy_not_user_controlled":              {s422, "The MFA policy does not allow skipping."},
	"session.mfa.backup_code_can_not_be_alone":                {s422, "Backup codes cannot be the only MFA factor."},
	"session.mfa.backup_code_required":                        {s422, "Backup codes are required."},
	"session.mfa.suggest_additional_mfa":                      {s422, "Consider adding another MFA factor."},
	"session.mfa.invalid_totp_code":                           {s400, "The TOTP code is invalid."},
	"session.mfa.invalid_backup_code":                         {s400, "The backup code is invalid."},
	"session.mfa.webauthn_verification_failed":                {s400, "The WebAuthn verification failed."},
	"session.mfa.webauthn_verification_not_found":             {s400, "No WebAuthn credential was found for this user."},
	"user.totp_already_in_use":                                {s422, "The user already has a TOTP authenticator."},

	"user.suspended":                        {s401, "This account is suspended."},
	"user.user_not_exist":                   {s404, "The user does not exist."},
	"user.identity_not_exist":               {s404, "The social identity is not linked to any user."},
	"user.sso_identity_not_exist":           {s404, "The enterprise SSO identity is not linked to any user."},
	"user.sign_in_method_not_enabled":       {s422, "This sign-in method is not enabled."},
	"user.username_already_in_use":          {s422, "This username is already in use."},
	"user.email_already_in_use":             {s422, "This email is already in use."},
	"user.phone_already_in_use":             {s422, "This phone number is already in use."},
	"user.identity_already_in_use":          {s422, "This social identity is already in use."},
	"user.username_exists_in_profile":       {s422, "The user already has a username."},
	"user.email_exists_in_profile":          {s422, "The user already has an email."},
	"user.phone_exists_in_profile":          {s422, "The user already has a phone number."},
	"user.password_exists_in_profile":       {s422, "The user already has a password."},
	"user.missing_profile":                  {s422, "Additional profile information is required."},
	"user.new_password_required_in_profile": {s422, "A new password is required."},
	"user.same_password":                    {s422, "The new password must differ from the current one."},
	"user.suggest_mfa":                      {s422, "Consider setting up MFA."},
	"user.missing_mfa":                      {s422, "MFA must be set up."},
	"user.passkey_preferred":                {s422, "A passkey is preferred."},

	"user.username_required":               {s422, "A username is required."},
	"user.username_starts_with_number":     {s422, "The username cannot start with a number."},
	"user.username_invalid_charset_hard":   {s422, "The username may contain only letters, numbers and underscores."},
	"user.username_too_short":              {s422, "The username is too short."},
	"user.username_too_long":               {s422, "The username is too long."},
	"user.username_uppercase_not_allowed":  {s422, "Uppercase letters are not allowed in usernames."},
	"user.username_lowercase_not_allowed":  {s422, "Lowercase letters are not allowed in usernames."},
	"user.username_numbers_not_allowed":    {s422, "Numbers are not allowed in usernames."},
	"user.username_underscore_not_allowed": {s422, "Underscores are not allowed in usernames."},

	"password.rejected": {s422, "The password does not meet the password policy."},
	"password.expired":  {s422, "The password has expired. Reset it to continue."},
	"sign_in_experiences.password_expiration_invalid_period_days": {s422, "The password expiration period is invalid."},

	"custom_profile_fields.name_conflict_built_in_prop":      {s400, "The profile field conflicts with a built-in property."},
	"custom_profile_fields.name_conflict_sign_in_identifier": {s400, "The profile field conflicts with a sign-in identifier."},
	"custom_profile_fields.name_conflict_custom_data":        {s400, "The profile field conflicts with reserved custom data."},

	"verification_code.not_found":      {s400, "The verification code was not found."},
	"verification_code.email_mismatch": {s400, "The email does not match the one the code was sent to."},
	"verification_code.phone_mismatch": {s400, "The phone number does not match the one the code was sent to."},
	"verification_code.expired":        {s400, "The verification code has expired."},
	"verification_code.exceed_max_try": {s400, "Too many failed attempts for this code. Request a new one."},
	"verification_code.code_mismatch":  {s400, "The verification code is wrong."},

	"connector.not_found": {s501, "No connector is configured for this message type."},
}
