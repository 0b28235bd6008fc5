package workers

import "errors"

// Permanent marks err as one that retrying cannot fix (a rejected recipient,
// a refused credential), so the Retry middleware sends the event to the
// poison queue at once. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent or reports itself permanent through an IsPermanent() bool
// method. The method lets packages such as connectors classify their errors
// without importing workers.
func IsPermanent(err error) bool {
	var p interface{ IsPermanent() bool }
	if errors.As(err, &p) {
		return p.IsPermanent()
	}
	return false
}

type permanentError struct{ err error }

func (e permanentError) Error() string     { return e.err.Error() }
func (e permanentError) Unwrap() error     { return e.err }
func (e permanentError) IsPermanent() bool { return true }
