package connectors

import "fmt"

// Connector error codes, as Logto names them.
const (
	CodeGeneral           = "connector.general"
	CodeInvalidConfig     = "connector.invalid_config"
	CodeInvalidResponse   = "connector.invalid_response"
	CodeRateLimitExceeded = "connector.rate_limit_exceeded"
)

// Error is a failed delivery. Permanent means the same request will fail
// again (bad credentials, a rejected recipient); otherwise a later retry
// may succeed (server down, rate limit).
type Error struct {
	Code      string
	Permanent bool
	Err       error
}

func (e *Error) Error() string { return e.Code + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// IsPermanent lets workers.IsPermanent see the classification without
// this package importing workers.
func (e *Error) IsPermanent() bool { return e.Permanent }

func permanent(code string, format string, args ...any) *Error {
	return &Error{Code: code, Permanent: true, Err: fmt.Errorf(format, args...)}
}

func transient(code string, format string, args ...any) *Error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}
