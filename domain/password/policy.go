package password

import (
	"errors"
	"fmt"
)

// Policy is Logto's passwordPolicy (docs/experience.md, Passwords). Zero values mean
// "use the default"; WithDefaults fills them in.
type Policy struct {
	Length         LengthPolicy         `json:"length" yaml:"length"`
	CharacterTypes CharacterTypesPolicy `json:"characterTypes" yaml:"characterTypes"`
	Rejects        RejectsPolicy        `json:"rejects" yaml:"rejects"`
}

type LengthPolicy struct {
	Min int `json:"min" yaml:"min"`
	Max int `json:"max" yaml:"max"`
}

type CharacterTypesPolicy struct {
	Min int `json:"min" yaml:"min"`
}

type RejectsPolicy struct {
	// Pwned checks the local breached-password list (BreachedListFile); no network call.
	Pwned                 *bool    `json:"pwned" yaml:"pwned"`
	RepetitionAndSequence *bool    `json:"repetitionAndSequence" yaml:"repetitionAndSequence"`
	UserInfo              *bool    `json:"userInfo" yaml:"userInfo"`
	Words                 []string `json:"words" yaml:"words"`
	// BreachedListFile names the local list used when Pwned is on: one SHA-1
	// hex digest or plain password per line (docs/experience.md, decision 10).
	BreachedListFile string `json:"breachedListFile,omitempty" yaml:"breachedListFile"`
}

// Logto's defaults (passwordPolicyGuard), except Pwned: authtrail keeps it off
// unless configured, because it needs a local list (docs/experience.md, decision 10).
const (
	DefaultMinLength         = 8
	DefaultMaxLength         = 256
	DefaultMinCharacterTypes = 1
)

// WithDefaults returns p with every absent field set to its default. It does
// not share pointers with p, so callers may change the result freely.
func (p Policy) WithDefaults() Policy {
	if p.Length.Min == 0 {
		p.Length.Min = DefaultMinLength
	}
	if p.Length.Max == 0 {
		p.Length.Max = DefaultMaxLength
	}
	if p.CharacterTypes.Min == 0 {
		p.CharacterTypes.Min = DefaultMinCharacterTypes
	}
	p.Rejects.Pwned = boolOr(p.Rejects.Pwned, false)
	p.Rejects.RepetitionAndSequence = boolOr(p.Rejects.RepetitionAndSequence, true)
	p.Rejects.UserInfo = boolOr(p.Rejects.UserInfo, true)
	if p.Rejects.Words == nil {
		p.Rejects.Words = []string{}
	}
	return p
}

// Validate reports settings Logto's guard refuses (lengths below 1, character
// types outside 1–4), plus min > max, which would reject every password.
func (p Policy) Validate() error {
	p = p.WithDefaults()
	var errs []error
	if p.Length.Min < 1 {
		errs = append(errs, fmt.Errorf("passwordPolicy.length.min must be at least 1, got %d", p.Length.Min))
	}
	if p.Length.Max < 1 {
		errs = append(errs, fmt.Errorf("passwordPolicy.length.max must be at least 1, got %d", p.Length.Max))
	}
	if p.Length.Min > p.Length.Max {
		errs = append(errs, fmt.Errorf("passwordPolicy.length.min (%d) exceeds length.max (%d)", p.Length.Min, p.Length.Max))
	}
	if p.CharacterTypes.Min < 1 || p.CharacterTypes.Min > 4 {
		errs = append(errs, fmt.Errorf("passwordPolicy.characterTypes.min must be 1–4, got %d", p.CharacterTypes.Min))
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

func isOn(v *bool) bool { return v != nil && *v }
