package username

import (
	"errors"
	"fmt"
)

// Policy is Logto's usernamePolicy (docs/config.md, signInExperience). Absent
// fields (nil, 0) mean the default; WithDefaults fills them in.
type Policy struct {
	CaseSensitive *bool        `json:"caseSensitive" yaml:"caseSensitive"`
	MinLength     int          `json:"minLength" yaml:"minLength"`
	MaxLength     int          `json:"maxLength" yaml:"maxLength"`
	AllowedChars  AllowedChars `json:"allowedChars" yaml:"allowedChars"`
}

type AllowedChars struct {
	Lowercase  *bool `json:"lowercase" yaml:"lowercase"`
	Uppercase  *bool `json:"uppercase" yaml:"uppercase"`
	Numbers    *bool `json:"numbers" yaml:"numbers"`
	Underscore *bool `json:"underscore" yaml:"underscore"`
}

// Logto's defaultUsernamePolicy: the policy changes nothing when unset.
const (
	DefaultMinLength = 1
	DefaultMaxLength = 128
)

// WithDefaults returns p with every absent field set to Logto's default. It
// does not share pointers with p.
func (p Policy) WithDefaults() Policy {
	p.CaseSensitive = boolOr(p.CaseSensitive, true)
	if p.MinLength == 0 {
		p.MinLength = DefaultMinLength
	}
	if p.MaxLength == 0 {
		p.MaxLength = DefaultMaxLength
	}
	p.AllowedChars.Lowercase = boolOr(p.AllowedChars.Lowercase, true)
	p.AllowedChars.Uppercase = boolOr(p.AllowedChars.Uppercase, true)
	p.AllowedChars.Numbers = boolOr(p.AllowedChars.Numbers, true)
	p.AllowedChars.Underscore = boolOr(p.AllowedChars.Underscore, true)
	return p
}

// Validate applies Logto's usernamePolicyGuard (docs/config.md, signInExperience): lengths 1–128,
// min ≤ max, and a class a username may start with (letters or underscore).
func (p Policy) Validate() error {
	p = p.WithDefaults()
	var errs []error
	for _, l := range []struct {
		name  string
		value int
	}{{"minLength", p.MinLength}, {"maxLength", p.MaxLength}} {
		if l.value < 1 || l.value > DefaultMaxLength {
			errs = append(errs, fmt.Errorf("usernamePolicy.%s must be 1–%d, got %d", l.name, DefaultMaxLength, l.value))
		}
	}
	if p.MinLength > p.MaxLength {
		errs = append(errs, errors.New("usernamePolicy: minimum length cannot exceed maximum length"))
	}
	a := p.AllowedChars
	if !*a.Lowercase && !*a.Uppercase && !*a.Underscore {
		errs = append(errs, errors.New("usernamePolicy.allowedChars: at least one of lowercase, uppercase, or underscore must be enabled; usernames cannot start with a number"))
	}
	return errors.Join(errs...)
}

// boolOr copies *v, or def when v is nil, into a fresh pointer.
func boolOr(v *bool, def bool) *bool {
	if v != nil {
		def = *v
	}
	return &def
}
