package connectors_test

import (
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/workers/connectors"
)

func TestRender(t *testing.T) {
	subject, text := connectors.Render(signIn)
	if subject != "Your sign-in code" || text != "Your sign-in code is 123456. It expires in 10 minutes." {
		t.Errorf("sign-in: %q / %q", subject, text)
	}

	subjects := map[string]bool{}
	for _, tmpl := range []string{
		connectors.TemplateSignIn, connectors.TemplateRegister, connectors.TemplateForgotPassword,
		connectors.TemplateBindMfa, connectors.TemplateMfaVerification, "Unknown",
	} {
		subject, text := connectors.Render(connectors.Message{Code: "777001", Template: tmpl})
		if !strings.Contains(text, "777001") || strings.Contains(subject, "777001") {
			t.Errorf("%s: %q / %q: the code belongs in the text only", tmpl, subject, text)
		}
		if strings.Contains(text, "expires") {
			t.Errorf("%s: %q mentions an expiry that was not given", tmpl, text)
		}
		subjects[subject] = true
	}
	if len(subjects) != 6 {
		t.Errorf("templates share subjects: %v", subjects)
	}

	for d, want := range map[time.Duration]string{
		time.Minute:                     "It expires in 1 minute.",
		90 * time.Second:                "It expires in 1 minute.",
		30 * time.Second:                "It expires in less than a minute.",
		15*time.Minute + 59*time.Second: "It expires in 15 minutes.",
	} {
		if _, text := connectors.Render(connectors.Message{Code: "1", ExpiresIn: d}); !strings.HasSuffix(text, want) {
			t.Errorf("expiry %s: %q, want suffix %q", d, text, want)
		}
	}
}
