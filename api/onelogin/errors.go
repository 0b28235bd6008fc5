package onelogin

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/eventstore"
)

// ValidationFailed is 422 ValidationError naming the invalid parameters
// (details.parameters).
func ValidationFailed(parameters ...string) *domain.Error {
	return mfaapi.InvalidParams(parameters).Refusal()
}

// writeFailure answers a command's error: a registered error as itself (a
// throttled send with Retry-After), a conflict that outlived Run's retries
// as 409 ConflictError, anything else as a logged 500.
func writeFailure(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	domain.SetRetryAfter(w.Header(), err)
	switch _, refused := domain.AsError(err); {
	case refused:
	case errors.Is(err, eventstore.ErrConflict):
		err = domain.E("onelogin.conflict")
	default:
		log.ErrorContext(r.Context(), "onelogin request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	WriteError(w, err)
}

type altErr struct {
	StatusCode int            `json:"statusCode"`
	Name       string         `json:"name"`
	Message    string         `json:"message"`
	Details    *altErrDetails `json:"details,omitempty"`
}

type altErrDetails struct {
	Parameters domain.Parameters `json:"parameters"`
}

// WriteError renders err as altErr (docs/onelogin-api.md, Errors): a *domain.Error of the
// registry's onelogin entries with its status and name, the parameters of a
// 422 in details; anything else as a generic 500. It does not log: the
// caller logs what is not a *domain.Error.
func WriteError(w http.ResponseWriter, err error) {
	e, ok := domain.AsError(err)
	if !ok {
		e = domain.E("onelogin.internal")
	}
	body := altErr{StatusCode: e.Status, Name: e.Code, Message: e.Message}
	if e.Status == http.StatusUnprocessableEntity {
		params, _ := e.Data.(domain.Parameters)
		if params == nil {
			params = domain.Parameters{}
		}
		body.Details = &altErrDetails{Parameters: params}
	}
	WriteJSON(w, e.Status, body)
}

// WriteJSON writes v as JSON with status and OneLogin's response headers
// (docs/onelogin-api.md, Conventions): no caching, no content sniffing.
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

// Status is the v1 status object (docs/onelogin-api.md, Errors): nested under
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

// WriteStatusEnvelope writes a refusal of the token endpoints as
// {"status":{...}} with its status as the HTTP status and its name as the
// type: {"status":{"error":true,"code":401,"type":"Unauthorized","message":"Authentication Failure"}}.
func WriteStatusEnvelope(w http.ResponseWriter, e *domain.Error) {
	WriteJSON(w, e.Status, struct {
		Status Status `json:"status"`
	}{Status{Error: e.Status >= 400, Code: e.Status, Type: e.Code, Message: e.Message}})
}
