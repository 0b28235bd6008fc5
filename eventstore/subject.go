package eventstore

import (
	"fmt"
	"strings"
)

// SubjectPrefix is the first token of every event subject; the stream
// captures SubjectPrefix + ".>".
const SubjectPrefix = "events"

// validToken reports whether s is a non-empty run of [A-Za-z0-9_-]: a token
// may not contain dots, wildcards or whitespace, or it would change the
// subject's shape. A loop rather than a regexp, since every append checks
// its subjects.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Subject returns the subject of one aggregate instance:
// events.<aggType>.<id>.
func Subject(aggType, id string) (string, error) {
	if !validToken(aggType) {
		return "", fmt.Errorf("%w: aggregate type %q", ErrInvalidSubject, aggType)
	}
	if !validToken(id) {
		return "", fmt.Errorf("%w: aggregate id %q", ErrInvalidSubject, id)
	}
	return SubjectPrefix + "." + aggType + "." + id, nil
}

// MustSubject is Subject for values known to be valid; it panics otherwise.
func MustSubject(aggType, id string) string {
	s, err := Subject(aggType, id)
	if err != nil {
		panic(err)
	}
	return s
}

// ParseSubject splits an event subject into its aggregate type and id.
func ParseSubject(subject string) (aggType, id string, err error) {
	rest, ok := strings.CutPrefix(subject, SubjectPrefix+".")
	aggType, id, _ = strings.Cut(rest, ".")
	if !ok || !validToken(aggType) || !validToken(id) {
		return "", "", fmt.Errorf("%w: %q is not %s.<aggType>.<id>", ErrInvalidSubject, subject, SubjectPrefix)
	}
	return aggType, id, nil
}
