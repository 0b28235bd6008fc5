package code_test

import (
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain/code"
)

func TestTemplate(t *testing.T) {
	got := code.FillTemplate("Code {{otp_code}}, valid {{otp_expiry}} min", "012345", 10*time.Minute)
	if got != "Code 012345, valid 10 min" {
		t.Fatalf("filled = %q", got)
	}
	for tpl, want := range map[string]bool{
		"Your code: {{otp_code}}":                               true,
		"no placeholder":                                        false,
		strings.Repeat("x", 154) + "{{otp_code}}":               true,
		strings.Repeat("x", 155) + "{{otp_code}}":               false,
		strings.Repeat("x", 153) + "{{otp_code}}{{otp_expiry}}": false,
	} {
		if code.ValidTemplate(tpl, 10*time.Minute) != want {
			t.Errorf("ValidTemplate(%q) != %v", tpl, want)
		}
	}
}
