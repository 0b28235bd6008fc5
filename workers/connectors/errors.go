package connectors

import (
	"fmt"

	"github.com/authtrail/authtrail/domain"
)

// Connector error codes, as Logto names them, from the error registry.
var (
	CodeGeneral           = domain.E("connector.general").Code
	CodeInvalidConfig     = domain.E("connector.invalid_config").Code
	CodeInvalidResponse   = domain.E("connector.invalid_response").Code
	CodeRateLimitExceeded = domain.E("connector.rate_limit_exceeded").Code
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
