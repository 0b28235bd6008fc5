package emailpolicy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"

	"github.com/authtrail/authtrail/domain/emailpolicy"
)

const (
	ok            = ""
	subaddressing = "session.email_blocklist.email_subaddressing_not_allowed"
	notAllowed    = "session.email_blocklist.email_not_allowed"
	invalid       = "session.email_blocklist.invalid_email"
)

// Cases marked "Logto" come from Logto's email-blocklist-policy.test.ts.
func TestCheck(t *testing.T) {
	logtoPolicy := emailpolicy.Policy{
		BlockDisposableAddresses: true,
		BlockSubaddressing:       true,
		CustomBlocklist:          []string{"foo@bar.com", "@foo.com"},
	}
	allowlist := emailpolicy.Policy{
		CustomAllowlist: []string{"foo@bar.com", "@foo.com", "foo*@example.com", "@*.example.com"},
	}

	tests := []struct {
		name   string
		policy emailpolicy.Policy
		email  string
		want   string
	}{
		{"Logto: subaddressing", logtoPolicy, "foo+1@bar.com", subaddressing},
		{"Logto: subaddressing with regex metacharacters", logtoPolicy, "x+y@(a+)+$@" + strings.Repeat("a", 40) + ".com", subaddressing},
		{"Logto: blocked domain", logtoPolicy, "test@foo.com", notAllowed},
		{"Logto: blocked domain, other case", logtoPolicy, "bar@Foo.com", notAllowed},
		{"Logto: blocked address, other case", logtoPolicy, "Foo@Bar.com", notAllowed},
		{"Logto: passes", logtoPolicy, "test@bar.com", ok},
		{"Logto: wildcard local part blocked", emailpolicy.Policy{CustomBlocklist: []string{"foo*@bar.com", "@*.example.com"}}, "FooBar@bar.com", notAllowed},
		{"Logto: wildcard domain blocked", emailpolicy.Policy{CustomBlocklist: []string{"foo*@bar.com", "@*.example.com"}}, "test@Foo.example.com", notAllowed},
		{"Logto: dotted Googlemail alias blocked", emailpolicy.Policy{CustomBlocklist: []string{"foobar@gmail.com"}}, "foo.bar@googlemail.com", notAllowed},
		{"Logto: outside a non-empty allowlist", emailpolicy.Policy{CustomAllowlist: []string{"@bar.com"}}, "test@foo.com", notAllowed},
		{"Logto: allowlisted address", allowlist, "foo@bar.com", ok},
		{"Logto: allowlisted domain", allowlist, "test@foo.com", ok},
		{"Logto: allowlisted wildcard local part", allowlist, "foobar@example.com", ok},
		{"Logto: allowlisted wildcard domain", allowlist, "test@foo.example.com", ok},
		{"Logto: dotted Gmail alias allowlisted", emailpolicy.Policy{CustomAllowlist: []string{"foobar@googlemail.com"}}, "foo.bar@gmail.com", ok},
		{"Logto: blocklist wins over allowlist", emailpolicy.Policy{CustomAllowlist: []string{"@bar.com"}, CustomBlocklist: []string{"foo@bar.com"}}, "foo@bar.com", notAllowed},

		{"empty policy passes", emailpolicy.Policy{}, "a+b@example.com", ok},
		{"plus allowed when not blocked", emailpolicy.Policy{CustomBlocklist: []string{"@x.com"}}, "a+b@example.com", ok},
		{"plus in the domain is not subaddressing", emailpolicy.Policy{BlockSubaddressing: true}, "ab@ex+ample.com", ok},
		{"empty allowlist allows all", emailpolicy.Policy{CustomAllowlist: []string{}}, "a@example.com", ok},
		{"subaddressing checked before the allowlist", emailpolicy.Policy{BlockSubaddressing: true, CustomAllowlist: []string{"@x.com"}}, "a+b@y.com", subaddressing},
		{"disposable addresses not enforced", emailpolicy.Policy{BlockDisposableAddresses: true}, "a@mailinator.com", ok},

		{"no @", logtoPolicy, "foo.bar.com", invalid},
		{"empty domain", logtoPolicy, "foo@", invalid},
		{"empty", emailpolicy.Policy{}, "", invalid},
		{"missing domain wins over subaddressing", logtoPolicy, "foo+1@", invalid},
		{"empty local part still has a domain", emailpolicy.Policy{}, "@example.com", ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(tt.policy.Check(tt.email)); got != tt.want {
				t.Errorf("Check(%q) = %q, want %q", tt.email, got, tt.want)
			}
		})
	}
}

func TestCheckStaysFastOnHostileInput(t *testing.T) {
	policy := emailpolicy.Policy{CustomBlocklist: []string{"*a*a*a*a*a*a*a*b@*.*"}}
	email := strings.Repeat("a", 5000) + "@" + strings.Repeat("a.", 2000) + "com"
	start := time.Now()
	if got := code(policy.Check(email)); got != ok {
		t.Errorf("Check() = %q, want pass", got)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("Check took %v", elapsed)
	}
}

// code is the wire code of a refusal, or "" for none.
func code(e *domain.Error) string {
	if e == nil {
		return ""
	}
	return e.Code
}
