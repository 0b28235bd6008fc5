package onelogin

import (
	"encoding/json"
	"errors"
	"net/http"
)

// APIError is a v2 "altErr" error (spec §1.4): the HTTP status, a name, a
// message and, for 422, the names of the invalid parameters.
type APIError struct {
	Status     int
	Name       string
	Message    string
	Parameters []string // rendered as details.parameters on 422 only
}

func (e *APIError) Error() string { return e.Name + ": " + e.Message }

// Is makes errors.Is match on status and name, so a test or a caller can
// write errors.Is(err, onelogin.ResourceNotFound()).
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	return ok && t.Status == e.Status && t.Name == e.Name
}

// WithMessage returns a copy of e with another message.
func (e *APIError) WithMessage(message string) *APIError {
	c := *e
	c.Message = message
	return &c
}

// The canonical errors of spec §1.4. Each call returns a fresh value.

// InvalidCredentials: missing, malformed, expired or revoked bearer token.
func InvalidCredentials() *APIError {
	return &APIError{Status: http.StatusUnauthorized, Name: "InvalidCredentials", Message: "Please provide valid credentials"}
}

// InsufficientPermission: a valid token whose credential scope is not
// allowed on the endpoint (decision 6: 401, not 403).
func InsufficientPermission() *APIError {
	return &APIError{Status: http.StatusUnauthorized, Name: "Unauthorized", Message: "Insufficient Permission"}
}

// UserNotFound: unknown user_id.
func UserNotFound() *APIError {
	return &APIError{Status: http.StatusNotFound, Name: "NotFoundError", Message: "The resource with the given id could not be found"}
}

// ResourceNotFound: unknown or foreign registration, verification or device.
func ResourceNotFound() *APIError {
	return &APIError{Status: http.StatusNotFound, Name: "NotFound",
		Message: "The resource can't be found or the server has not found anything matching the Request-URI"}
}

// BadRequest: a body that is not valid JSON.
func BadRequest() *APIError {
	return &APIError{Status: http.StatusBadRequest, Name: "BadRequestError",
		Message: "The request could not be understood by the server due to malformed syntax"}
}

// ValidationFailed: a well-formed body with invalid values; parameters
// names the offending fields.
func ValidationFailed(parameters ...string) *APIError {
	if parameters == nil {
		parameters = []string{}
	}
	return &APIError{Status: http.StatusUnprocessableEntity, Name: "ValidationError", Message: "Validations failed", Parameters: parameters}
}

// ForbiddenAction: an action the resource's state does not allow.
func ForbiddenAction() *APIError {
	return &APIError{Status: http.StatusForbidden, Name: "ForbiddenAction",
		Message: "You are not authorised to perform this action or access the resource"}
}

// TooManyRequests: the credential's rate-limit bucket is empty.
func TooManyRequests() *APIError {
	return &APIError{Status: http.StatusTooManyRequests, Name: "TooManyRequests", Message: "Rate limit exceeded"}
}

// internalError is what any other error is shown as; the cause stays in
// the log.
func internalError() *APIError {
	return &APIError{Status: http.StatusInternalServerError, Name: "InternalServerError", Message: "Internal Server Error"}
}

type altErr struct {
	StatusCode int            `json:"statusCode"`
	Name       string         `json:"name"`
	Message    string         `json:"message"`
	Details    *altErrDetails `json:"details,omitempty"`
}

type altErrDetails struct {
	Parameters []string `json:"parameters"`
}

// WriteError renders err as altErr: an *APIError (found with errors.As)
// with its status; anything else as a generic 500. It does not log: the
// caller logs what is not an *APIError.
func WriteError(w http.ResponseWriter, err error) {
	var e *APIError
	if !errors.As(err, &e) {
		e = internalError()
	}
	body := altErr{StatusCode: e.Status, Name: e.Name, Message: e.Message}
	if e.Status == http.StatusUnprocessableEntity {
		params := e.Parameters
		if params == nil {
			params = []string{}
		}
		body.Details = &altErrDetails{Parameters: params}
	}
	WriteJSON(w, e.Status, body)
}

// WriteJSON writes v as JSON with status and OneLogin's response headers
// (spec §1.3): no caching, no content sniffing.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError,
			[]byte(`{"statusCode":500,"name":"InternalServerError","message":"Internal Server Error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-cache, must-revalidate, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// Status is the v1 status object (spec §1.4 shapes 2 and 3): nested under
// "status" in the envelope, or flat as the spec's Error model (the success
// body of revoke).
type Status struct {
	Error   bool   `json:"error"`
	Code    int    `json:"code"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

// StatusSuccess is the flat success body {"error":false,"code":200,...}.
func StatusSuccess() Status {
	return Status{Error: false, Code: http.StatusOK, Type: "success", Message: "Success"}
}

// WriteStatusEnvelope writes {"status":{...}} with code as the HTTP status,
// as the token endpoint answers errors:
// {"status":{"error":true,"code":401,"type":"Unauthorized","message":"Authentication Failure"}}.
func WriteStatusEnvelope(w http.ResponseWriter, code int, typ, message string) {
	WriteJSON(w, code, struct {
		Status Status `json:"status"`
	}{Status{Error: code >= 400, Code: code, Type: typ, Message: message}})
}
