package domain

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Error is a business error with its wire code, HTTP status and optional
// data. Every error on the wire of every API comes from the registry below
// (by its key, through E), so codes, statuses and messages are decided in
// one place; an API only renders them in its own body shape.
type Error struct {
	// Code is the wire code: Logto's code, or the OneLogin-style name.
	// Empty for the bare errors answered with a message only.
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

// WithMessage returns a copy of e with a more specific message.
func (e *Error) WithMessage(message string) *Error {
	c := *e
	c.Message = message
	return &c
}

// Is makes errors.Is match on the wire code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// E builds the registered error of key: its wire code, status and message.
// A key is the wire code itself, or "code@variant" where Logto answers one
// code with another status on some routes, or "onelogin.…" and "admin.…" for
// the names of the OneLogin-style and admin APIs. An unregistered key is a programming mistake and
// panics, so a typo surfaces in the test that lists every key used.
func E(key string) *Error {
	def, ok := registry[key]
	if !ok {
		panic(fmt.Sprintf("domain: unregistered error %q", key))
	}
	return &Error{Code: def.wire(key), Status: def.status, Message: def.message}
}

// Registered reports whether key is in the registry.
func Registered(key string) bool {
	_, ok := registry[key]
	return ok
}

// Keys lists the registry's keys, for documentation and tests.
func Keys() []string { return slices.Sorted(maps.Keys(registry)) }

// All returns every registered error, in key order, for documentation and
// tests that hold a description against the registry.
func All() []*Error {
	all := make([]*Error, 0, len(registry))
	for _, key := range Keys() {
		all = append(all, E(key))
	}
	return all
}

// AsError finds a *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Code returns err's wire code, or "" when it is not a business error.
func Code(err error) string {
	if e, ok := AsError(err); ok && e != nil {
		return e.Code
	}
	return ""
}

// Throttled is a refusal that says when to retry (429 with Retry-After):
// Err is the registered error answered, RetryAfter the wait.
type Throttled struct {
	Err        *Error
	RetryAfter time.Duration
}

func (t Throttled) Error() string { return t.Err.Error() }

// Unwrap is the registered error, so AsError and the commit rule see a
// refusal.
func (t Throttled) Unwrap() error { return t.Err }

// RetryAfterSeconds is RetryAfter rounded up to whole seconds, at least 1.
func (t Throttled) RetryAfterSeconds() int { return max(1, CeilSeconds(t.RetryAfter)) }

// CeilSeconds rounds d up to whole seconds, tolerating float noise just
// above an integer.
func CeilSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds() - 1e-9)) }

// SetRetryAfter sets h's Retry-After when err is Throttled.
func SetRetryAfter(h http.Header, err error) {
	var t Throttled
	if errors.As(err, &t) {
		h.Set("Retry-After", strconv.Itoa(t.RetryAfterSeconds()))
	}
}

// Parameters names the invalid parameters of a validation error (the
// OneLogin-style APIs list them in details.parameters).
type Parameters []string

type errorDef struct {
	status  int
	message string
	// name is the wire code when it is not the key: a OneLogin-style name,
	// or "" with bare for an error answered with its message only.
	name string
	bare bool
}

// wire is the code the entry of key answers with.
func (d errorDef) wire(key string) string {
	switch {
	case d.bare:
		return ""
	case d.name != "":
		return d.name
	}
	code, _, _ := strings.Cut(key, "@")
	return code
}

// oneLogin is an entry of the OneLogin-style APIs, answered under name.
func oneLogin(status int, name, message string) errorDef {
	return errorDef{status: status, message: message, name: name}
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

// registry is the single table of the errors on the wire. The Experience
// API's codes and statuses are Logto's (docs/experience-api.md lists them
// per route); the OneLogin-style entries are OneLogin's names; the
// connector and delivery entries are the reasons the delivery worker
// records on code.delivery_failed events.
var registry = map[string]errorDef{
	"guard.invalid_input":          {status: s400, message: "The request body is invalid."},
	"request.entity_too_large":     {status: s413, message: "The request body is too large."},
	"request.cross_site":           {status: s403, message: "This API does not accept requests from another site."},
	"request.message_rate_limited": {status: s429, message: "Too many messages were sent to this recipient. Try again later."},
	// authtrail's per-client limits (docs/experience.md, Abuse limits).
	"request.too_many_failed_attempts": {status: s429, message: "Too many failed verifications from this address. Try again later."},
	"request.too_many_new_recipients":  {status: s429, message: "Too many codes sent to new recipients from this address. Try again later."},
	"request.conflict":                 {status: s409, message: "The interaction changed while this request ran. Retry."},
	"request.unavailable":              {status: s503, message: "The service is not ready yet. Retry shortly."},
	"request.aggregate_full":           {status: s503, message: "This record reached the event store's limit of events per aggregate; an operator must act (authtrail_aggregate_full_total)."},
	"unexpected":                       {status: s500, message: "Internal server error.", bare: true},
	"request.route_not_found":          {status: s404, message: "Not Found", bare: true},
	"auth.forbidden":                   {status: s403, message: "This action is disabled by the sign-in experience."},

	"session.not_found":                      {status: s400, message: "Session not found. Please go back and sign in again."},
	"session.interaction_not_found":          {status: s404, message: "Interaction session not found. Start the interaction again."},
	"session.verification_session_not_found": {status: s404, message: "The verification was not found. Restart the verification flow and try again."},
	"session.verification_failed":            {status: s400, message: "The verification was not successful. Restart the verification flow and try again."},
	"session.identifier_not_found":           {status: s404, message: "The user is not identified yet."},
	// The MFA code routes answer it with 400.
	"session.identifier_not_found@mfa_code": {status: s400, message: "The user is not identified yet."},
	"session.identity_conflict":             {status: s409, message: "Another user is already identified in this interaction."},
	// A WebAuthn authentication record of another user answers it with 404.
	"session.identity_conflict@webauthn":        {status: s404, message: "Another user is already identified in this interaction."},
	"session.invalid_interaction_type":          {status: s400, message: "This action is not supported for the current interaction event."},
	"session.not_supported_for_forgot_password": {status: s400, message: "This action is not supported for forgot password."},
	// Identification answers it with 422.
	"session.not_supported_for_forgot_password@identification": {status: s422, message: "This action is not supported for forgot password."},
	"session.invalid_credentials":                              {status: s422, message: "Wrong identifier or password."},
	"session.verification_blocked_too_many_attempts":           {status: s400, message: "Too many attempts. Try again later."},
	"session.captcha_required":                                 {status: s422, message: "Captcha is required."},
	"session.captcha_failed":                                   {status: s422, message: "Captcha verification failed."},
	"session.sso_enabled":                                      {status: s422, message: "Single sign-on is enabled for this email domain."},
	"session.email_blocklist.email_not_allowed":                {status: s422, message: "This email address is not allowed."},
	"session.email_blocklist.email_subaddressing_not_allowed":  {status: s422, message: "Email subaddressing is not allowed."},
	"session.email_blocklist.invalid_email":                    {status: s400, message: "The email address is invalid."},
	"session.mfa.require_mfa_verification":                     {status: s403, message: "MFA verification is required."},
	"session.mfa.mfa_factor_not_enabled":                       {status: s400, message: "The MFA factor is not enabled."},
	"session.mfa.pending_info_not_found":                       {status: s400, message: "The pending MFA information was not found."},
	"session.mfa.mfa_policy_not_user_controlled":               {status: s422, message: "The MFA policy does not allow skipping."},
	"session.mfa.backup_code_can_not_be_alone":                 {status: s422, message: "Backup codes cannot be the only MFA factor."},
	"session.mfa.backup_code_required":                         {status: s422, message: "Backup codes are required."},
	"session.mfa.suggest_additional_mfa":                       {status: s422, message: "Consider adding another MFA factor."},
	"session.mfa.invalid_totp_code":                            {status: s400, message: "The TOTP code is invalid."},
	"session.mfa.invalid_backup_code":                          {status: s400, message: "The backup code is invalid."},
	"session.mfa.webauthn_verification_failed":                 {status: s400, message: "The WebAuthn verification failed."},
	"session.mfa.webauthn_verification_not_found":              {status: s400, message: "No WebAuthn credential was found for this user."},
	"user.totp_already_in_use":                                 {status: s422, message: "The user already has a TOTP authenticator."},

	"user.suspended":                        {status: s401, message: "This account is suspended."},
	"user.user_not_exist":                   {status: s404, message: "The user does not exist."},
	"user.identity_not_exist":               {status: s404, message: "The social identity is not linked to any user."},
	"user.sso_identity_not_exist":           {status: s404, message: "The enterprise SSO identity is not linked to any user."},
	"user.sign_in_method_not_enabled":       {status: s422, message: "This sign-in method is not enabled."},
	"user.username_already_in_use":          {status: s422, message: "This username is already in use."},
	"user.email_already_in_use":             {status: s422, message: "This email is already in use."},
	"user.phone_already_in_use":             {status: s422, message: "This phone number is already in use."},
	"user.identity_already_in_use":          {status: s422, message: "This social identity is already in use."},
	"user.username_exists_in_profile":       {status: s422, message: "The user already has a username."},
	"user.email_exists_in_profile":          {status: s422, message: "The user already has an email."},
	"user.phone_exists_in_profile":          {status: s422, message: "The user already has a phone number."},
	"user.password_exists_in_profile":       {status: s422, message: "The user already has a password."},
	"user.missing_profile":                  {status: s422, message: "Additional profile information is required."},
	"user.new_password_required_in_profile": {status: s422, message: "A new password is required."},
	"user.same_password":                    {status: s422, message: "The new password must differ from the current one."},
	"user.suggest_mfa":                      {status: s422, message: "Consider setting up MFA."},
	"user.missing_mfa":                      {status: s422, message: "MFA must be set up."},
	"user.passkey_preferred":                {status: s422, message: "A passkey is preferred."},

	"user.username_required":               {status: s422, message: "A username is required."},
	"user.username_starts_with_number":     {status: s422, message: "The username cannot start with a number."},
	"user.username_invalid_charset_hard":   {status: s422, message: "The username may contain only letters, numbers and underscores."},
	"user.username_too_short":              {status: s422, message: "The username is too short."},
	"user.username_too_long":               {status: s422, message: "The username is too long."},
	"user.username_uppercase_not_allowed":  {status: s422, message: "Uppercase letters are not allowed in usernames."},
	"user.username_lowercase_not_allowed":  {status: s422, message: "Lowercase letters are not allowed in usernames."},
	"user.username_numbers_not_allowed":    {status: s422, message: "Numbers are not allowed in usernames."},
	"user.username_underscore_not_allowed": {status: s422, message: "Underscores are not allowed in usernames."},

	"password.rejected": {status: s422, message: "The password does not meet the password policy."},
	"password.expired":  {status: s422, message: "The password has expired. Reset it to continue."},
	"sign_in_experiences.password_expiration_invalid_period_days": {status: s422, message: "The password expiration period is invalid."},

	"custom_profile_fields.name_conflict_built_in_prop":      {status: s400, message: "The profile field conflicts with a built-in property."},
	"custom_profile_fields.name_conflict_sign_in_identifier": {status: s400, message: "The profile field conflicts with a sign-in identifier."},
	"custom_profile_fields.name_conflict_custom_data":        {status: s400, message: "The profile field conflicts with reserved custom data."},

	"verification_code.not_found":      {status: s400, message: "The verification code was not found."},
	"verification_code.email_mismatch": {status: s400, message: "The email does not match the one the code was sent to."},
	"verification_code.phone_mismatch": {status: s400, message: "The phone number does not match the one the code was sent to."},
	"verification_code.expired":        {status: s400, message: "The verification code has expired."},
	"verification_code.exceed_max_try": {status: s400, message: "Too many failed attempts for this code. Request a new one."},
	"verification_code.code_mismatch":  {status: s400, message: "The verification code is wrong."},

	"connector.not_found":           {status: s501, message: "No connector is configured for this message type."},
	"connector.general":             {status: s400, message: "The connector failed to send the message."},
	"connector.invalid_config":      {status: s400, message: "The connector's configuration is invalid."},
	"connector.invalid_response":    {status: s400, message: "The connector's provider answered with an error."},
	"connector.rate_limit_exceeded": {status: s429, message: "The connector's provider is rate limiting."},

	// Social sign-in (docs/connectors.md).
	"connector.unexpected_type":                      {status: s400, message: "The connector is not of the type this route takes."},
	"connector.social_auth_code_invalid":             {status: s401, message: "The provider refused the authorization code."},
	"connector.social_invalid_id_token":              {status: s401, message: "The provider's ID token failed its checks."},
	"connector.social_invalid_access_token":          {status: s401, message: "The provider refused the access token."},
	"connector.authorization_failed":                 {status: s401, message: "The provider did not authorize the sign-in."},
	"entity.not_found":                               {status: s404, message: "No connector has this id."},
	"entity.not_exists_with_id":                      {status: s404, message: "No SSO connector has this id."},
	"session.insufficient_info":                      {status: s400, message: "Both state and redirectUri are required."},
	"session.invalid_connector_id":                   {status: s422, message: "No social connector has this id."},
	"session.connector_validation_session_not_found": {status: s400, message: "No authorization is pending for this verification: start again."},
	"session.csrf_token_mismatch":                    {status: s400, message: "The state does not match the one given at authorization."},

	// Reasons of the delivery worker (never answered to a client).
	"delivery.key_unavailable": {status: s503, message: "The code's data key could not be read."},
	"delivery.code_unreadable": {status: s500, message: "The sealed code could not be opened."},
	"delivery.cancelled":       {status: s503, message: "The delivery was cancelled."},

	// The OneLogin-style APIs: altErr names (docs/onelogin-api.md, Errors).
	"onelogin.invalid_credentials":     oneLogin(s401, "InvalidCredentials", "Please provide valid credentials"),
	"onelogin.insufficient_permission": oneLogin(s401, "Unauthorized", "Insufficient Permission"),
	"onelogin.user_not_found":          oneLogin(s404, "NotFoundError", "The resource with the given id could not be found"),
	"onelogin.resource_not_found":      oneLogin(s404, "NotFound", "The resource can't be found or the server has not found anything matching the Request-URI"),
	"onelogin.bad_request":             oneLogin(s400, "BadRequestError", "The request could not be understood by the server due to malformed syntax"),
	"onelogin.payload_too_large":       oneLogin(s413, "PayloadTooLarge", "The request body is too large"),
	"onelogin.validation_failed":       oneLogin(s422, "ValidationError", "Validations failed"),
	"onelogin.forbidden_action":        oneLogin(s403, "ForbiddenAction", "You are not authorised to perform this action or access the resource"),
	"onelogin.conflict":                oneLogin(s409, "ConflictError", "A concurrent change conflicted with this request; retry it"),
	"onelogin.too_many_requests":       oneLogin(s429, "TooManyRequests", "Rate limit exceeded"),
	"onelogin.internal":                oneLogin(s500, "InternalServerError", "Internal Server Error"),
	// The admin API (docs/audit.md, Admin API) answers in the same shape.
	"admin.unauthorized":  oneLogin(s401, "Unauthorized", "A valid bearer token from POST /auth/oauth2/v2/token is required"),
	"admin.forbidden":     oneLogin(s403, "Forbidden", "Insufficient Permission"),
	"admin.bad_request":   oneLogin(s400, "BadRequest", "The request's parameters are invalid"),
	"admin.not_found":     oneLogin(s404, "NotFound", "The resource was not found"),
	"admin.internal":      oneLogin(s500, "InternalServerError", "Internal Server Error"),
	"admin.route_missing": oneLogin(s404, "NotFound", "No such route"),
	// The token endpoints answer in the v1 status envelope: type and message.
	"onelogin.token.authentication_failure": oneLogin(s401, "Unauthorized", "Authentication Failure"),
	"onelogin.token.grant_type":             oneLogin(s400, "bad request", "grant_type is incorrect/absent"),
	"onelogin.token.no_access_token":        oneLogin(s400, "bad request", "access_token is absent"),
	"onelogin.token.no_route":               oneLogin(s404, "not found", "No Route Exists"),
	"onelogin.token.internal":               oneLogin(s500, "internal server error", "Internal Server Error"),
	"onelogin.token.too_many_requests":      oneLogin(s429, "too many requests", "Too many failed token requests from this address; retry later"),
	// The OpenID Connect provider answers OAuth 2.0 errors by their names
	// (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6); the keys say why.
	"oidc.invalid_request":               oneLogin(s400, "invalid_request", "The request is missing a parameter or has an invalid one"),
	"oidc.invalid_request@pkce_required": oneLogin(s400, "invalid_request", "A public client must send a code_challenge with code_challenge_method S256"),
	"oidc.invalid_request@pkce_plain":    oneLogin(s400, "invalid_request", "code_challenge_method plain is not accepted; use S256"),
	"oidc.unsupported_response_type":     oneLogin(s400, "unsupported_response_type", "Only response_type code is supported"),
	"oidc.invalid_target":                oneLogin(s400, "invalid_target", "The resource is not one of the provider's APIs (oidc.resources)"),
	"oidc.login_required":                oneLogin(s400, "login_required", "The user is not signed in and prompt=none forbids asking"),
	"oidc.authorization_not_found":       oneLogin(s400, "invalid_request", "The authorization request is unknown, expired or answered already"),
	"oidc.interaction_required":          oneLogin(s400, "interaction_required", "The sign-in of this browser has not finished for this authorization request"),
	"oidc.invalid_grant":                 oneLogin(s400, "invalid_grant", "The code or refresh token is invalid, expired or revoked"),
	"oidc.invalid_grant@code_reused":     oneLogin(s400, "invalid_grant", "The authorization code was used already; the tokens issued for it are revoked"),
	"oidc.invalid_grant@code_expired":    oneLogin(s400, "invalid_grant", "The authorization code has expired"),
	"oidc.invalid_grant@refresh_reused":  oneLogin(s400, "invalid_grant", "The refresh token was used already; the grant is revoked"),
	"oidc.invalid_grant@refresh_expired": oneLogin(s400, "invalid_grant", "The refresh token has expired"),
}
