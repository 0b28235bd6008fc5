package eventstore

import (
	"fmt"
	"regexp"
	"strings"
)

// SubjectPrefix is the first token of every event subject; the stream
// captures SubjectPrefix + ".>".
const SubjectPrefix = "events"

// A token may not contain dots, wildcards or whitespace, or it would change
// the subject's shape.
var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Subject returns the subject of one aggregate instance:
// events.<aggType>.<id>.
func Subject(aggType, id string) (string, error) {
	if !tokenPattern.MatchString(aggType) {
		return "", fmt.Errorf("%w: aggregate type %q", ErrInvalidSubject, aggType)
	}
	if !tokenPattern.MatchString(id) {
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
	parts := strings.Split(subject, ".")
	if len(parts) != 3 || parts[0] != SubjectPrefix ||
		!tokenPattern.MatchString(parts[1]) || !tokenPattern.MatchString(parts[2]) {
		return "", "", fmt.Errorf("%w: %q is not %s.<aggType>.<id>", ErrInvalidSubject, subject, SubjectPrefix)
	}
	return parts[1], parts[2], nil
}
