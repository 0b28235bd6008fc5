package password

import (
	"strings"
	"unicode"
	"unicode/utf16"
)

// Issue codes of a 422 password.rejected (docs/experience.md, Passwords).
const (
	CodeTooShort              = "password_rejected.too_short"
	CodeTooLong               = "password_rejected.too_long"
	CodeCharacterTypes        = "password_rejected.character_types"
	CodeUnsupportedCharacters = "password_rejected.unsupported_characters"
	CodePwned                 = "password_rejected.pwned"
	CodeRepetition            = "password_rejected.restricted.repetition"
	CodeSequence              = "password_rejected.restricted.sequence"
	CodeUserInfo              = "password_rejected.restricted.user_info"
	CodeWords                 = "password_rejected.restricted.words"
)

// Issue is one reason a password breaks the policy, in Logto's wire shape.
type Issue struct {
	Code          string         `json:"code"`
	Interpolation map[string]any `json:"interpolation,omitempty"`
}

// UserInfo is what the userInfo rule looks for inside a password.
type UserInfo struct {
	Name, Username, Email, Phone string
}

// Symbols are the characters counted as the "symbols" type; any character
// that is not a symbol, ASCII letter or digit is unsupported.
const Symbols = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ "

const (
	// restrictedRunMin is the shortest repetition or sequence that counts.
	restrictedRunMin = 3
	// restrictedTolerance: a password passes the restricted rules when more
	// than this many characters lie outside every restricted fragment.
	restrictedTolerance = 3
)

// Check returns every way pw breaks p, in Logto's order: length, character
// types, pwned, then the restricted.* codes in the order they were first
// found while scanning pw from the left. Empty means accepted. A nil
// breached list skips the pwned rule.
//
// Lengths count UTF-16 code units, as JavaScript's String.length does, so
// limits agree with Logto for every input.
func (p Policy) Check(pw string, info UserInfo, breached Breached) []Issue {
	p = p.WithDefaults()
	units := utf16.Encode([]rune(pw))
	var issues []Issue

	if len(units) < p.Length.Min {
		issues = append(issues, Issue{Code: CodeTooShort, Interpolation: map[string]any{"min": p.Length.Min}})
	} else if len(units) > p.Length.Max {
		issues = append(issues, Issue{Code: CodeTooLong, Interpolation: map[string]any{"max": p.Length.Max}})
	}

	if types, supported := countCharacterTypes(pw); !supported {
		issues = append(issues, Issue{Code: CodeUnsupportedCharacters})
	} else if types < p.CharacterTypes.Min {
		issues = append(issues, Issue{Code: CodeCharacterTypes, Interpolation: map[string]any{"min": p.CharacterTypes.Min}})
	}

	if isOn(p.Rejects.Pwned) && breached != nil && breached.Contains(pw) {
		issues = append(issues, Issue{Code: CodePwned})
	}

	for _, code := range restrictedCodes(units, p.Rejects, info) {
		issues = append(issues, Issue{Code: code})
	}
	return issues
}

// countCharacterTypes counts lowercase, uppercase, digits and symbols in pw;
// supported is false as soon as any other character appears.
func countCharacterTypes(pw string) (types int, supported bool) {
	var lower, upper, digit, symbol bool
	for _, r := range pw {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		case r < 0x80 && strings.ContainsRune(Symbols, r):
			symbol = true
		default:
			return 0, false
		}
	}
	for _, seen := range []bool{lower, upper, digit, symbol} {
		if seen {
			types++
		}
	}
	return types, true
}

// restrictedCodes finds, at every position, the repetition, sequence, banned
// word and piece of user info starting there, and reports their codes only
// when they cover more than max(1, len-3) characters: a password keeping
// restrictedTolerance characters outside them all passes.
func restrictedCodes(units []uint16, rejects RejectsPolicy, info UserInfo) []string {
	lowered := lowerUnits(units)
	words := loweredNeedles(rejects.Words)
	infoNeedles := userInfoNeedles(info)
	repetitions := repetitionRuns(units)

	// Fragments are found left to right, so the covered characters before
	// coveredEnd form no gap that a later fragment could fill: counting the
	// part past coveredEnd is enough, and stays linear for long runs.
	covered, coveredEnd := 0, 0
	var codes []string
	mark := func(start, length int, code string) {
		if length <= 0 {
			return
		}
		if end := start + length; end > coveredEnd {
			covered += end - max(start, coveredEnd)
			coveredEnd = end
		}
		for _, c := range codes {
			if c == code {
				return
			}
		}
		codes = append(codes, code)
	}

	for i := range units {
		if isOn(rejects.RepetitionAndSequence) {
			if repetitions[i] >= restrictedRunMin {
				mark(i, repetitions[i], CodeRepetition)
			}
			mark(i, sequenceLength(units[i:]), CodeSequence)
		}
		if len(words) > 0 {
			mark(i, longestPrefix(lowered[i:], words), CodeWords)
		}
		if isOn(rejects.UserInfo) {
			mark(i, longestPrefix(lowered[i:], infoNeedles), CodeUserInfo)
		}
	}

	if covered > max(1, len(units)-restrictedTolerance) {
		return codes
	}
	return nil
}

// repetitionRuns gives, for each position, how many identical code units
// start there. Computed right to left so long runs stay linear.
func repetitionRuns(units []uint16) []int {
	runs := make([]int, len(units))
	for i := len(units) - 1; i >= 0; i-- {
		runs[i] = 1
		if i+1 < len(units) && units[i+1] == units[i] {
			runs[i] = runs[i+1] + 1
		}
	}
	return runs
}

// lowerUnits lower-cases code unit by code unit (simple case mapping), so
// positions in the result line up with positions in the password.
func lowerUnits(units []uint16) []uint16 {
	out := make([]uint16, len(units))
	for i, u := range units {
		out[i] = u
		if !utf16.IsSurrogate(rune(u)) {
			out[i] = uint16(unicode.ToLower(rune(u)))
		}
	}
	return out
}

func loweredNeedles(words []string) [][]uint16 {
	var needles [][]uint16
	for _, w := range words {
		if w != "" {
			needles = append(needles, lowerUnits(utf16.Encode([]rune(w))))
		}
	}
	return needles
}

// longestPrefix returns the length of the longest needle that s starts with.
func longestPrefix(s []uint16, needles [][]uint16) int {
	longest := 0
	for _, n := range needles {
		if len(n) > longest && hasPrefix(s, n) {
			longest = len(n)
		}
	}
	return longest
}

func hasPrefix(s, prefix []uint16) bool {
	if len(prefix) > len(s) {
		return false
	}
	for i, u := range prefix {
		if s[i] != u {
			return false
		}
	}
	return true
}
