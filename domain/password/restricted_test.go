package password_test

import (
	"testing"

	"github.com/authtrail/authtrail/domain/password"
)

// Ports of Logto's unit tests for the checker's helpers.

func TestRepetitionLength(t *testing.T) {
	for pw, want := range map[string]int{
		"aaaa": 4, "aaa12": 3, "AAAAAA😀": 6,
		"": 0, "a": 0, "aa": 0, "aaAaaAaa": 0, "aL!bbbbb": 0, "aL1!": 0, "aL1!bbbbbbbbbbbb": 0, "😀😀😀": 0,
	} {
		if got := password.RepetitionLength(pw); got != want {
			t.Errorf("RepetitionLength(%q) = %d, want %d", pw, got, want)
		}
	}
}

func TestSequenceLength(t *testing.T) {
	for pw, want := range map[string]int{
		"1234": 4, "edcba": 5, "BCDEDC": 4, "YUIOP##": 5, "2wsx3edc1": 4, "lo9KI8mJu7890": 3,
		"9876543210": 10, "zyx": 3, "ZAQ1": 4, "lkjhgfdsa": 9, "MNBVCXZ": 7, "abcdefghijklmnopqrstuvwxyz": 26,
		"": 0, "z": 0, "FE": 0, "aL1!": 0, "aL1!BCDEFA": 0, "aBc": 0, "aceg": 0,
	} {
		if got := password.SequenceLength(pw); got != want {
			t.Errorf("SequenceLength(%q) = %d, want %d", pw, got, want)
		}
	}
}

func TestUserInfoLength(t *testing.T) {
	name := func(n string) password.UserInfo { return password.UserInfo{Name: n} }
	tests := []struct {
		pw   string
		info password.UserInfo
		want int
	}{
		{"test", name("test"), 4},
		{"test", name("test2"), 0},
		{"FOO", name("Foo bar"), 3},
		{"Foo", name("bar fOo"), 3},
		{"barFooBaz12", name("bar   fOo   baz"), 9},
		{"bar   fOo   baz12", name("bar   fOo   baz"), 15},
		{"bar   fOo baz12", name("bar   fOo   baz"), 3},
		{"barfOo   baz12", name("bar   fOo   baz"), 3},
		{"annmarie!", name("Ann\tMarie"), 8},
		{"test1!", password.UserInfo{Username: "teST"}, 4},
		{"test123", password.UserInfo{Username: "test2"}, 0},
		{"teST1", password.UserInfo{Email: "test@foo.com"}, 4},
		{"TEST2", password.UserInfo{Email: "test1@foo.com"}, 0},
		{"FOO", password.UserInfo{Email: "test@foo.com"}, 0},
		{"Foo!", password.UserInfo{Email: "fOO@foo.com"}, 3},
		{"anything", password.UserInfo{Email: "@foo.com"}, 0},
		{"123456789ST", password.UserInfo{Phone: "123456789"}, 9},
		{"123456789ST", password.UserInfo{Phone: "12"}, 2},
		{"teST1234567890.", password.UserInfo{Phone: "123456789"}, 0},
		{"TEST12345678", password.UserInfo{Phone: "123456789"}, 0},
		{"123456789ST", password.UserInfo{Name: "1234 56789", Username: "12345", Email: "1234567", Phone: "1234"}, 9},
		{"x", password.UserInfo{}, 0},
	}
	for _, tt := range tests {
		if got := password.UserInfoLength(tt.pw, tt.info); got != tt.want {
			t.Errorf("UserInfoLength(%q, %+v) = %d, want %d", tt.pw, tt.info, got, tt.want)
		}
	}
}

func TestWordLength(t *testing.T) {
	list := []string{"test", "teSt2", "TesT3"}
	for pw, want := range map[string]int{
		"test": 4, "tEst2": 5, "TEST3x": 5,
		"tes4": 0, "tes4 est5 tes t": 0, "tES4 TEst2 teSt3": 0,
	} {
		if got := password.WordLength(pw, list); got != want {
			t.Errorf("WordLength(%q) = %d, want %d", pw, got, want)
		}
	}
}
