package settings

import (
	"errors"
	"testing"
)

// Problems reports each check's first problem, so mistakes in unrelated
// parts of the sign-in experience are all found at once.
func TestProblemsReportsEveryCheck(t *testing.T) {
	s := Default()
	s.SignInMode = "Sometimes"
	s.MFA.Policy = "Often"
	s.PasswordPolicy.CharacterTypes.Min = 9
	var paths []string
	for _, err := range s.Problems(noConnectors) {
		var invalid *ValidationError
		if !errors.As(err, &invalid) {
			t.Fatalf("%v is not a *ValidationError", err)
		}
		paths = append(paths, invalid.Path)
	}
	want := []string{"signInExperience.signInMode", "signInExperience.mfa.policy", "signInExperience.passwordPolicy.characterTypes.min"}
	if len(paths) != len(want) {
		t.Fatalf("problems at %v, want %v", paths, want)
	}
	for i := range want {
		if paths[i] != want[i] {
			t.Errorf("problem %d at %s, want %s", i, paths[i], want[i])
		}
	}
	if err := s.Validate(noConnectors); err == nil || err.Error() != s.Problems(noConnectors)[0].Error() {
		t.Errorf("Validate = %v, want the first problem", err)
	}
	if got := Default().Problems(noConnectors); len(got) != 0 {
		t.Errorf("the default has problems: %v", got)
	}
}
