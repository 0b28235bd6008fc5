// Package httpx holds the JSON plumbing shared by authtrail's HTTP APIs:
// bounded body decoding and Logto-shaped error bodies.
package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
)

// MaxBody is the largest request body accepted (64 KiB).
const MaxBody = 64 << 10

// Decode reads a JSON body into v. Unknown keys are ignored (Logto's
// guards are non-strict); an empty body decodes as {}. A body that is not
// JSON, or has a wrongly typed field, is guard.invalid_input; one over
// MaxBody is 413.
func Decode(r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return domain.E("request.entity_too_large")
		}
		return Invalid("body", err.Error())
	}
	if len(data) == 0 {
		data = []byte("{}")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return Invalid("body", err.Error())
	}
	return nil
}

// Invalid is guard.invalid_input with a human-readable detail.
func Invalid(part, detail string) *domain.Error {
	return domain.E("guard.invalid_input").WithMessage("The request " + part + " is invalid.").
		WithData(map[string]any{"details": detail})
}

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorBody is Logto's RequestError body (docs/experience.md, Errors).
type errorBody struct {
	Code             string `json:"code,omitempty"`
	Message          string `json:"message"`
	Data             any    `json:"data,omitempty"`
	Error            string `json:"error,omitempty"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// Error renders err: business errors with their code, status and data;
// anything else as Logto's bare 500 (the registry's "unexpected"), logged
// but never shown.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e, ok := domain.AsError(err)
	if !ok && errors.Is(err, eventstore.ErrAggregateFull) {
		// Not a bug to hide behind a bare 500: an operator must raise the
		// limit or retire the aggregate (the metric alerts).
		log.ErrorContext(r.Context(), "request refused: an aggregate is full", "method", r.Method, "path", r.URL.Path, "err", err)
		e, ok = domain.E("request.aggregate_full"), true
	}
	if !ok {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = domain.E("unexpected")
	}
	body := errorBody{Code: e.Code, Message: e.Message, Data: e.Data}
	if e.Code == "session.not_found" {
		// The OIDC provider's error shape, kept for OAuth clients (docs/experience.md, Errors).
		body.Error, body.ErrorDescription = "invalid_request", "interaction session not found"
	}
	JSON(w, e.Status, body)
}
