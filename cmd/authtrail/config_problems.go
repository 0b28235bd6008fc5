package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ConfigErrors are every problem of a configuration, so that one start
// reports them all; each is one line.
type ConfigErrors []*ConfigError

func (e ConfigErrors) Error() string {
	lines := make([]string, len(e))
	for i, err := range e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

func (e ConfigErrors) Unwrap() []error {
	out := make([]error, len(e))
	for i, err := range e {
		out[i] = err
	}
	return out
}

// problems collects configuration errors as the checks find them.
type problems struct{ list ConfigErrors }

// add records err (nil: nothing): a *ConfigError, ConfigErrors, or any
// other error as a file-level line.
func (p *problems) add(err error) {
	var many ConfigErrors
	var one *ConfigError
	switch {
	case err == nil:
	case errors.As(err, &many):
		p.list = append(p.list, many...)
	case errors.As(err, &one):
		p.list = append(p.list, one)
	default:
		p.list = append(p.list, &ConfigError{Message: err.Error(), Err: err})
	}
}

func (p *problems) addf(key, format string, args ...any) {
	p.list = append(p.list, &ConfigError{Key: key, Message: fmt.Sprintf(format, args...)})
}

// enum records a value outside allowed and reports whether it was allowed.
func (p *problems) enum(key, value string, allowed ...string) bool {
	err := checkConfigEnum(key, value, allowed...)
	p.add(err)
	return err == nil
}

// hasKey reports whether a problem names key.
func (p *problems) hasKey(key string) bool {
	return slices.ContainsFunc(p.list, func(e *ConfigError) bool { return e.Key == key })
}

// err is nil when nothing was found, else the ConfigErrors.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return p.list
}
