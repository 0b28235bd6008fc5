package password_test

import (
	"encoding/json"
	"testing"

	"github.com/authtrail/authtrail/domain/password"
)

func ptr(b bool) *bool { return &b }

func TestWithDefaults(t *testing.T) {
	got := password.Policy{}.WithDefaults()
	if got.Length.Min != 8 || got.Length.Max != 256 || got.CharacterTypes.Min != 1 {
		t.Fatalf("length/characterTypes defaults = %+v", got)
	}
	r := got.Rejects
	if *r.Pwned || !*r.RepetitionAndSequence || !*r.UserInfo || r.Words == nil || len(r.Words) != 0 {
		t.Fatalf("rejects defaults = pwned %v, repetitionAndSequence %v, userInfo %v, words %#v",
			*r.Pwned, *r.RepetitionAndSequence, *r.UserInfo, r.Words)
	}

	set := password.Policy{
		Length:         password.LengthPolicy{Min: 12},
		CharacterTypes: password.CharacterTypesPolicy{Min: 3},
		Rejects:        password.RejectsPolicy{Pwned: ptr(true), UserInfo: ptr(false), Words: []string{"acme"}},
	}
	got = set.WithDefaults()
	if got.Length.Min != 12 || got.Length.Max != 256 || got.CharacterTypes.Min != 3 ||
		!*got.Rejects.Pwned || *got.Rejects.UserInfo || !*got.Rejects.RepetitionAndSequence || got.Rejects.Words[0] != "acme" {
		t.Fatalf("explicit values lost: %+v", got)
	}
	*got.Rejects.Pwned = false
	if !*set.Rejects.Pwned {
		t.Fatal("WithDefaults shares pointers with its receiver")
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name    string
		policy  password.Policy
		wantErr bool
	}{
		{"defaults", password.Policy{}, false},
		{"four types", password.Policy{CharacterTypes: password.CharacterTypesPolicy{Min: 4}}, false},
		{"five types", password.Policy{CharacterTypes: password.CharacterTypesPolicy{Min: 5}}, true},
		{"negative types", password.Policy{CharacterTypes: password.CharacterTypesPolicy{Min: -1}}, true},
		{"negative min", password.Policy{Length: password.LengthPolicy{Min: -1}}, true},
		{"min above max", password.Policy{Length: password.LengthPolicy{Min: 20, Max: 10}}, true},
		{"min equals max", password.Policy{Length: password.LengthPolicy{Min: 10, Max: 10}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.policy.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestIssueJSON(t *testing.T) {
	issues := password.Policy{}.Check("aB1", password.UserInfo{}, nil)
	got, err := json.Marshal(issues)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"code":"password_rejected.too_short","interpolation":{"min":8}}]`
	if string(got) != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	got, _ = json.Marshal(password.Issue{Code: password.CodePwned})
	if string(got) != `{"code":"password_rejected.pwned"}` {
		t.Errorf("interpolation not omitted: %s", got)
	}
}
