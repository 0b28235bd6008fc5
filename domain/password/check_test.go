package password_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/domain/password"
)

func tooShort(min int) password.Issue {
	return password.Issue{Code: password.CodeTooShort, Interpolation: map[string]any{"min": min}}
}

func tooLong(max int) password.Issue {
	return password.Issue{Code: password.CodeTooLong, Interpolation: map[string]any{"max": max}}
}

func characterTypes(min int) password.Issue {
	return password.Issue{Code: password.CodeCharacterTypes, Interpolation: map[string]any{"min": min}}
}

var (
	unsupported = password.Issue{Code: password.CodeUnsupportedCharacters}
	pwned       = password.Issue{Code: password.CodePwned}
	repetition  = password.Issue{Code: password.CodeRepetition}
	sequence    = password.Issue{Code: password.CodeSequence}
	userInfo    = password.Issue{Code: password.CodeUserInfo}
	words       = password.Issue{Code: password.CodeWords}
)

// breachedSet is a Breached for tests of Check.
type breachedSet map[string]bool

func (b breachedSet) Contains(pw string) bool { return b[pw] }

// logtoPolicy is the checker in Logto's password-policy.test.ts.
var logtoPolicy = password.Policy{
	Length:         password.LengthPolicy{Min: 7, Max: 15},
	CharacterTypes: password.CharacterTypesPolicy{Min: 3},
	Rejects: password.RejectsPolicy{
		Pwned: ptr(true), RepetitionAndSequence: ptr(true), UserInfo: ptr(true),
		Words: []string{"aaaaaate", "aaaaaaaa", "silverhand"},
	},
}

// loose leaves only the restricted rules in play.
var loose = password.Policy{Length: password.LengthPolicy{Min: 1}}

func TestCheck(t *testing.T) {
	logtoPwned := breachedSet{"123456": true}
	tests := []struct {
		name     string
		policy   password.Policy
		pw       string
		info     password.UserInfo
		breached password.Breached
		want     []password.Issue
	}{
		// Logto's check() examples.
		{"logto valid 1", logtoPolicy, "aL1!aL1!", password.UserInfo{}, logtoPwned, nil},
		{"logto valid 2 (word leaves 3 free)", logtoPolicy, "silverHAnd213", password.UserInfo{}, logtoPwned, nil},
		{"logto valid 3", logtoPolicy, "lo9KI8mJu112", password.UserInfo{}, logtoPwned, nil},
		{"logto name", logtoPolicy, "aL1!aL1!", password.UserInfo{Name: "aL1!"}, logtoPwned, []password.Issue{userInfo}},
		{"logto sequences", logtoPolicy, "lo9KI8mju78911", password.UserInfo{}, logtoPwned, []password.Issue{sequence}},
		{"logto sequence then repetition", logtoPolicy, "lo9KI8MJU789111", password.UserInfo{}, logtoPwned, []password.Issue{sequence, repetition}},
		{"logto emoji", logtoPolicy, "aaa😀", password.UserInfo{}, logtoPwned, []password.Issue{tooShort(7), unsupported, repetition}},
		{"logto all but length", logtoPolicy, "123456", password.UserInfo{Phone: "12345"}, logtoPwned,
			[]password.Issue{tooShort(7), characterTypes(3), pwned, sequence, userInfo}},
		{"logto order of first appearance", logtoPolicy, "aaaaaaaaAAAAAAAAbcdCOK", password.UserInfo{Name: "CO"}, logtoPwned,
			[]password.Issue{tooLong(15), characterTypes(3), repetition, words, sequence, userInfo}},

		// docs/experience.md, Passwords examples with the default policy.
		{"sequence of six", password.Policy{}, "defghiZ@", password.UserInfo{}, nil, []password.Issue{sequence}},
		{"repetition of six", password.Policy{}, "TTTTTT@z", password.UserInfo{}, nil, []password.Issue{repetition}},

		// Length, counted in UTF-16 units as JavaScript does.
		{"min length", password.Policy{}, "k7#Lm2$q", password.UserInfo{}, nil, nil},
		{"one short", password.Policy{}, "k7#Lm2$", password.UserInfo{}, nil, []password.Issue{tooShort(8)}},
		{"max length", password.Policy{}, strings.Repeat("k7#L", 64), password.UserInfo{}, nil, nil},
		{"one long", password.Policy{}, strings.Repeat("k7#L", 64) + "x", password.UserInfo{}, nil, []password.Issue{tooLong(256)}},
		{"empty", password.Policy{}, "", password.UserInfo{}, nil, []password.Issue{tooShort(8), characterTypes(1)}},
		{"astral char counts two", password.Policy{Length: password.LengthPolicy{Min: 3}}, "a😀", password.UserInfo{}, nil, []password.Issue{unsupported}},

		// Character types and the symbol set.
		{"four types needed", password.Policy{CharacterTypes: password.CharacterTypesPolicy{Min: 4}}, "kQ7mzR4w", password.UserInfo{}, nil, []password.Issue{characterTypes(4)}},
		{"four types met", password.Policy{CharacterTypes: password.CharacterTypesPolicy{Min: 4}}, "kQ7m zR4", password.UserInfo{}, nil, nil},
		{"every symbol", loose, password.Symbols, password.UserInfo{}, nil, nil},
		{"non-ascii letter", password.Policy{}, "kQ7m#éR4", password.UserInfo{}, nil, []password.Issue{unsupported}},
		{"tab", password.Policy{}, "kQ7m\tzR4", password.UserInfo{}, nil, []password.Issue{unsupported}},
		{"unsupported hides character_types", password.Policy{CharacterTypes: password.CharacterTypesPolicy{Min: 4}}, "kkkkkkk€", password.UserInfo{}, nil, []password.Issue{unsupported, repetition}},

		// Pwned.
		{"pwned off by default", password.Policy{}, "Xq7!mz#R", password.UserInfo{}, breachedSet{"Xq7!mz#R": true}, nil},
		{"pwned on", password.Policy{Rejects: password.RejectsPolicy{Pwned: ptr(true)}}, "Xq7!mz#R", password.UserInfo{}, breachedSet{"Xq7!mz#R": true}, []password.Issue{pwned}},
		{"pwned on, not listed", password.Policy{Rejects: password.RejectsPolicy{Pwned: ptr(true)}}, "Xq7!mz#R", password.UserInfo{}, breachedSet{"other": true}, nil},
		{"pwned on, no list", password.Policy{Rejects: password.RejectsPolicy{Pwned: ptr(true)}}, "Xq7!mz#R", password.UserInfo{}, nil, nil},

		// Tolerance: rejected only when more than max(1, len-3) characters are covered.
		{"3 free of 8", loose, "abcdeQ1!", password.UserInfo{}, nil, nil},
		{"2 free of 8", loose, "abcdefQ!", password.UserInfo{}, nil, []password.Issue{sequence}},
		{"3 free of 9", loose, "abcdefQ1!", password.UserInfo{}, nil, nil},
		{"fragments add up, accepted", loose, "abcQ1!xyz", password.UserInfo{}, nil, nil},
		{"fragments add up, rejected (8)", loose, "abcQ!xyz", password.UserInfo{}, nil, []password.Issue{sequence}},
		{"fragments add up, rejected", loose, "abc!xyz", password.UserInfo{}, nil, []password.Issue{sequence}},
		{"overlaps count once", loose, "aaabcQ1!", password.UserInfo{}, nil, nil},
		{"run of two is free", loose, "aabb11!!", password.UserInfo{}, nil, nil},
		{"length 3, all covered", loose, "aaa", password.UserInfo{}, nil, []password.Issue{repetition}},
		{"length 2, both covered", loose, "Ab", password.UserInfo{Username: "ab"}, nil, []password.Issue{userInfo}},
		{"length 2, one covered", loose, "a!", password.UserInfo{Username: "a"}, nil, nil},
		{"length 4, 2 covered", loose, "ab!?", password.UserInfo{Username: "ab"}, nil, []password.Issue{userInfo}},
		{"length 4, 1 covered", loose, "a!?#", password.UserInfo{Username: "a"}, nil, nil},
		{"mixed case is no sequence", loose, "aBcDeF", password.UserInfo{}, nil, nil},
		{"upper-case reversed column", loose, "MJU7ab", password.UserInfo{}, nil, []password.Issue{sequence}},
		{"mixed case is no repetition", loose, "aAaAaA", password.UserInfo{}, nil, nil},

		// Each rule can be switched off.
		{"repetition off", password.Policy{Rejects: password.RejectsPolicy{RepetitionAndSequence: ptr(false)}}, "TTTTTT@z", password.UserInfo{}, nil, nil},
		{"user info off", password.Policy{Rejects: password.RejectsPolicy{UserInfo: ptr(false)}}, "Silverhand!", password.UserInfo{Username: "silverhand"}, nil, nil},
		{"user info on", password.Policy{}, "Silverhand!", password.UserInfo{Username: "silverhand"}, nil, []password.Issue{userInfo}},
		{"email local part", password.Policy{}, "JANE.DOE!", password.UserInfo{Email: "jane.doe@example.com"}, nil, []password.Issue{userInfo}},
		{"email domain is allowed", password.Policy{}, "example.com", password.UserInfo{Email: "jane@example.com"}, nil, nil},
		{"phone", password.Policy{}, "x19703860248", password.UserInfo{Phone: "19703860248"}, nil, []password.Issue{userInfo}},
		{"one name word", password.Policy{}, "Q!7van#z", password.UserInfo{Name: "Ada van der Linde"}, nil, nil},
		{"name words add up", password.Policy{}, "LINDEvan!", password.UserInfo{Name: "Ada van der Linde"}, nil, []password.Issue{userInfo}},
		{"joined name", password.Policy{}, "Q!adavanderlinde", password.UserInfo{Name: "Ada van der Linde"}, nil, []password.Issue{userInfo}},
		{"words, case-insensitive", password.Policy{Rejects: password.RejectsPolicy{Words: []string{"Acme"}}}, "xACMEacme!", password.UserInfo{}, nil, []password.Issue{words}},
		{"empty word ignored", password.Policy{Rejects: password.RejectsPolicy{Words: []string{""}}}, "k7#Lm2$q", password.UserInfo{}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.policy.Check(tt.pw, tt.info, tt.breached)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Check(%q) =\n  %v\nwant\n  %v", tt.pw, got, tt.want)
			}
		})
	}
}

// A password far over the limit must still be checked in linear time
// (a quadratic scan would take minutes here).
func TestCheckLongPassword(t *testing.T) {
	pw := strings.Repeat("a", 256<<10)
	got := password.Policy{}.Check(pw, password.UserInfo{Name: "a a a", Username: "aaaa"}, nil)
	want := []password.Issue{tooLong(256), repetition, userInfo}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Check(256 KiB of a) = %v, want %v", got, want)
	}
}
