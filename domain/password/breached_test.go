package password_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/domain/password"
)

func TestLoadBreachedList(t *testing.T) {
	lines := []string{
		"# SHA-1 digests, any case, and plain passwords",
		"7C4A8D09CA3762AF61E59520943DC26494F8941B",         // "123456", upper case
		"  5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8  ",     // "password", padded
		"B1B3773A05C0ED0176787A4F1574FF0075F7521E:3861493", // "qwerty", HaveIBeenPwned style
		"",
		"   ",
		"hunter2!",
		"Tr0ub4dor&3\r",
		"#not-a-password",
		"7c4a8d09ca3762af61e59520943dc26494f8941",  // 39 hex digits: a plain entry
		"7c4a8d09ca3762af61e59520943dc26494f8941b", // duplicate digest
	}
	path := filepath.Join(t.TempDir(), "breached.txt")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := password.LoadBreachedList(path)
	if err != nil {
		t.Fatal(err)
	}
	for pw, want := range map[string]bool{
		"123456":      true,
		"password":    true,
		"qwerty":      true,
		"hunter2!":    true,
		"Tr0ub4dor&3": true,
		"7c4a8d09ca3762af61e59520943dc26494f8941": true,
		"Hunter2!":        false, // plain entries are exact
		"12345":           false,
		"":                false,
		"#not-a-password": false, // comment line
		"# SHA-1 digests, any case, and plain passwords": false,
		"7C4A8D09CA3762AF61E59520943DC26494F8941B":       false, // a digest line is not a plain entry
	} {
		if got := list.Contains(pw); got != want {
			t.Errorf("Contains(%q) = %v, want %v", pw, got, want)
		}
	}

	// Wired into Check.
	policy := password.Policy{Rejects: password.RejectsPolicy{Pwned: ptr(true)}}
	got := policy.Check("hunter2!", password.UserInfo{}, list)
	if want := []password.Issue{pwned}; !reflect.DeepEqual(got, want) {
		t.Errorf("Check(hunter2!) = %v, want %v", got, want)
	}
}

func TestLoadBreachedListMissingFile(t *testing.T) {
	if _, err := password.LoadBreachedList(filepath.Join(t.TempDir(), "absent.txt")); err == nil {
		t.Fatal("want an error for a missing file")
	}
}

func TestParseBreachedListEmpty(t *testing.T) {
	list, err := password.ParseBreachedList(strings.NewReader("# nothing\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if list.Contains("") || list.Contains("123456") {
		t.Error("empty list contains something")
	}
}
