package password

import "unicode/utf16"

// Internals exposed to the external test package, so Logto's unit tests of
// the checker's helpers can be ported one to one.

func SequenceLength(s string) int { return sequenceLength(utf16.Encode([]rune(s))) }

func RepetitionLength(s string) int {
	if s == "" {
		return 0
	}
	if run := repetitionRuns(utf16.Encode([]rune(s)))[0]; run >= restrictedRunMin {
		return run
	}
	return 0
}

func UserInfoLength(pw string, info UserInfo) int {
	return longestPrefix(lowerUnits(utf16.Encode([]rune(pw))), userInfoNeedles(info))
}

func WordLength(pw string, words []string) int {
	return longestPrefix(lowerUnits(utf16.Encode([]rune(pw))), loweredNeedles(words))
}

// SetDeriveHook makes h call hook inside its semaphore, just before each
// argon2 derivation, so tests can hold derivations and count them.
func SetDeriveHook(h *Hasher, hook func()) {
	inner := h.derive
	h.derive = func(d digest, pw []byte) []byte {
		hook()
		return inner(d, pw)
	}
}
