package connectors

import (
	"fmt"
	"time"
)

// purposes words each template's code; unknown templates get the generic
// wording.
var purposes = map[string]struct{ subject, noun string }{
	TemplateSignIn:          {"Your sign-in code", "sign-in code"},
	TemplateRegister:        {"Your registration code", "registration code"},
	TemplateForgotPassword:  {"Your password reset code", "password reset code"},
	TemplateBindMfa:         {"Your two-step verification setup code", "code to set up two-step verification"},
	TemplateMfaVerification: {"Your two-step verification code", "two-step verification code"},
}

var genericPurpose = struct{ subject, noun string }{"Your verification code", "verification code"}

// Render returns the subject and plain text of m, e.g. "Your sign-in code"
// and "Your sign-in code is 123456. It expires in 10 minutes." The subject
// leaves the code out, so it does not show in inbox previews.
func Render(m Message) (subject, text string) {
	p, ok := purposes[m.Template]
	if !ok {
		p = genericPurpose
	}
	if m.Text != "" {
		return p.subject, m.Text
	}
	text = fmt.Sprintf("Your %s is %s.", p.noun, m.Code)
	if m.ExpiresIn > 0 {
		text += " It expires in " + minutes(m.ExpiresIn) + "."
	}
	return p.subject, text
}

// minutes rounds down, so a code is never said to last longer than it
// does.
func minutes(d time.Duration) string {
	switch n := int(d / time.Minute); n {
	case 0:
		return "less than a minute"
	case 1:
		return "1 minute"
	default:
		return fmt.Sprintf("%d minutes", n)
	}
}
