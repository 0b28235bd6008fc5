package emailpolicy_test

import (
	"testing"

	"github.com/authtrail/authtrail/domain/emailpolicy"
)

// Cases marked "Logto" come from Logto's email-blocklist tests (core-kit and core).
func TestValidEntry(t *testing.T) {
	tests := []struct {
		entry string
		want  bool
	}{
		{"bar@foo.com", true},     // Logto
		{"@foo.com", true},        // Logto
		{"abc.bar@foo.xyz", true}, // Logto
		{"foo@example.com", true}, // Logto
		{"@example.com", true},    // Logto
		{"foo*@example.com", true},
		{"*@example.com", true},
		{"foo@*.example.com", true},
		{"@foo.*", true},
		{"@*.example.com", true},
		{"foo*@bar.com", true},
		{"Foo+Tag@Sub.Example-Site.COM", true},
		{"@foo_bar.*", true}, // wildcard domains are only shape-checked, as in Logto

		{"bar", false},         // Logto
		{"bar@foo", false},     // Logto
		{"@foo", false},        // Logto
		{"@foo.", false},       // Logto
		{"bar@foo.", false},    // Logto
		{"foo*", false},        // Logto
		{"@*", false},          // Logto
		{"foo@*", false},       // Logto
		{"foo@example", false}, // Logto
		{"@example", false},    // Logto
		{"*@*.*", false},       // Logto
		{"", false},
		{"@", false},
		{"a@b@c.com", false},
		{"a b@c.com", false},
		{"a\u00a0b@c.com", false},
		{"a\ufeffb@c.com", false},
		{"a@-c.com", false},
		{"a@c-.com", false},
		{"a@c..com", false},
		{"a@c_d.com", false},
		{"a*@b@c.com", false},
		{"a* b@c.com", false},
		{"@*..com", false},
		{"@.*.com", false},
		{"@*.com.", false},
		{"@*.*.", false},
		{"@**", false},
		{"@*@x.com", false},
		{"*@*", false},
	}
	for _, tt := range tests {
		t.Run(tt.entry, func(t *testing.T) {
			if got := emailpolicy.ValidEntry(tt.entry); got != tt.want {
				t.Errorf("ValidEntry(%q) = %v, want %v", tt.entry, got, tt.want)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		entry, email string
		want         bool
	}{
		// Logto core-kit: exact and domain entries, case-insensitive.
		{"foo@example.com", "Foo@Example.com", true},
		{"@example.com", "foo@Example.com", true},
		{"foo@example.com", "bar@example.com", false},
		{"@example.com", "foo@example.org", false},
		// Logto core-kit: wildcards.
		{"foo*@example.com", "FooBar@Example.com", true},
		{"*@example.com", "anything@Example.com", true},
		{"foo@*.example.com", "Foo@bar.Example.com", true},
		{"@foo.*", "bar@Foo.com", true},
		{"@*.example.com", "bar@Foo.Example.com", true},
		// Logto core-kit: regex metacharacters are literal.
		{"foo.+*@example.com", "foo.+bar@example.com", true},
		{"foo.+*@example.com", "fooxbar@example.com", false},
		// Logto core-kit: Gmail aliases and dots.
		{"foo.bar@gmail.com", "foobar@gmail.com", true},
		{"foobar@gmail.com", "f.o.o.b.a.r@gmail.com", true},
		{"foo.bar*@gmail.com", "foobarbaz@gmail.com", true},
		{"foobar*@*.com", "foo.bar.baz@gmail.com", true},
		{"foo.bar@gmail.com", "foobar@googlemail.com", true},
		{"foo.bar@googlemail.com", "foobar@gmail.com", true},
		{"foo@googlemail.*", "f.oo@gmail.com", true},
		{"@gmail.com", "foo@googlemail.com", true},
		{"@googlemail.com", "foo@gmail.com", true},
		// Logto core-kit: dots matter elsewhere.
		{"foo.bar@example.com", "foobar@example.com", false},
		{"foobar@*.com", "foo.bar@example.com", false},

		{"@example.com", "foo@sub.example.com", false},
		{"@*.example.com", "foo@example.com", false},
		{"*@example.com", "@example.com", true},
		{"@example.com", "example.com", false},
		{"foo@example.com", "foo@example.com.evil", false},
		{"@gmail.com", "foo@gmail.com.evil", false},
		{"f*o*o@x.com", "fxoyo@x.com", true},
		{"f*o*o@x.com", "fxoyp@x.com", false},
		{"a**b@x.com", "ab@x.com", true},
		{"ÉLAN@x.com", "élan@X.COM", true},
	}
	for _, tt := range tests {
		t.Run(tt.entry+" "+tt.email, func(t *testing.T) {
			if got := emailpolicy.Matches(tt.entry, tt.email); got != tt.want {
				t.Errorf("Matches(%q, %q) = %v, want %v", tt.entry, tt.email, got, tt.want)
			}
		})
	}
}
