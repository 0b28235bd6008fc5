package password

import (
	"strings"
	"unicode/utf16"
)

// sequenceBases are Logto's runs of "sequential" characters: digits, the
// alphabet, the keyboard rows and the keyboard columns.
var sequenceBases = []string{
	"0123456789",
	"abcdefghijklmnopqrstuvwxyz",
	"qwertyuiop",
	"asdfghjkl",
	"zxcvbnm",
	"1qaz", "2wsx", "3edc", "4rfv", "5tgb", "6yhn", "7ujm", "8ik", "9ol",
}

// sequenceVariant is one run (forwards or backwards, lower or upper case)
// with an index from character to position; every run has distinct characters.
type sequenceVariant struct {
	chars    string
	position [128]int8 // -1 when the character is not in the run
}

var sequenceVariants = buildSequenceVariants()

func buildSequenceVariants() []sequenceVariant {
	var variants []sequenceVariant
	for _, base := range sequenceBases {
		reversed := reverseASCII(base)
		for _, chars := range []string{base, reversed, strings.ToUpper(base), strings.ToUpper(reversed)} {
			v := sequenceVariant{chars: chars}
			for i := range v.position {
				v.position[i] = -1
			}
			for i := 0; i < len(chars); i++ {
				v.position[chars[i]] = int8(i)
			}
			variants = append(variants, v)
		}
	}
	return variants
}

func reverseASCII(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// sequenceLength is the length of the longest case-exact piece of one
// sequence variant that s starts with, or 0 when shorter than
// restrictedRunMin. Logto grows the prefix while it stays a substring of some
// variant; since a substring's prefixes are substrings too, that equals the
// longest match over all variants.
func sequenceLength(s []uint16) int {
	if len(s) == 0 {
		return 0
	}
	longest := 1
	for i := range sequenceVariants {
		v := &sequenceVariants[i]
		if s[0] >= 128 || v.position[s[0]] < 0 {
			continue
		}
		start := int(v.position[s[0]])
		n := 0
		for n < len(s) && start+n < len(v.chars) && s[n] == uint16(v.chars[start+n]) {
			n++
		}
		longest = max(longest, n)
	}
	if longest < restrictedRunMin {
		return 0
	}
	return longest
}

// userInfoNeedles lists, lower-cased, what the userInfo rule rejects: the
// name, the name without whitespace, each space-separated word of the name,
// the username, the email's local part, and the phone number (as is).
func userInfoNeedles(info UserInfo) [][]uint16 {
	var texts []string
	if info.Name != "" {
		texts = append(texts, info.Name, strings.Join(strings.FieldsFunc(info.Name, isJSSpace), ""))
		texts = append(texts, strings.Split(info.Name, " ")...)
	}
	texts = append(texts, info.Username)
	if local, _, _ := strings.Cut(info.Email, "@"); local != "" {
		texts = append(texts, local)
	}
	needles := loweredNeedles(texts)
	if info.Phone != "" {
		needles = append(needles, utf16.Encode([]rune(info.Phone)))
	}
	return needles
}

// isJSSpace matches JavaScript's \s, which Logto uses to join the name.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}
