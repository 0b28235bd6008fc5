package interaction_test

import (
	"testing"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

var ssoConnectors = []interaction.SSOConnector{
	{ID: "acme", Name: "Acme SSO", Domains: []string{"Acme.com", "acme.io"}},
	{ID: "other", Name: "Other", Domains: []string{"other.org"}},
}

func TestGuardSSOEmail(t *testing.T) {
	on := settings.Default()
	on.SingleSignOnEnabled = true
	off := settings.Default()
	tests := []struct {
		name     string
		sie      *settings.SignInExperience
		email    string
		wantCode string
	}{
		{"domain of a connector, any case", &on, "bob@ACME.com", "session.sso_enabled"},
		{"another domain", &on, "bob@example.com", ""},
		{"a subdomain is not the domain", &on, "bob@eu.acme.com", ""},
		{"SSO off", &off, "bob@acme.com", ""},
		{"no email", &on, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := interaction.GuardSSOEmail(tt.sie, ssoConnectors, tt.email)
			if domain.Code(err) != tt.wantCode {
				t.Fatalf("got %v, want %q", err, tt.wantCode)
			}
		})
	}
	err := interaction.GuardSSOEmail(&on, ssoConnectors, "bob@acme.io")
	e, _ := domain.AsError(err)
	data, _ := e.Data.(map[string]any)
	list, _ := data["ssoConnectors"].([]map[string]string)
	if len(list) != 1 || list[0]["id"] != "acme" || list[0]["connectorName"] != "Acme SSO" || len(list[0]) != 2 {
		t.Fatalf("data %+v: want the connector's id and name only", e.Data)
	}
}

func TestSSOConnectorsFor(t *testing.T) {
	for email, want := range map[string]int{"a@acme.COM": 1, "a@other.org": 1, "a@": 0, "nobody": 0, "a@x.org": 0} {
		if got := interaction.SSOConnectorsFor(ssoConnectors, email); len(got) != want {
			t.Errorf("%s: %d connectors, want %d", email, len(got), want)
		}
	}
}

func TestRecordEmail(t *testing.T) {
	code := noted{RecordBase: interaction.RecordBase{Identifier: &interaction.Identifier{Type: "email", Value: "a@acme.com"}}}
	social := federatedRecord{id: user.Identity{Kind: user.KindSocial, Email: "s@acme.com"}}
	sso := federatedRecord{id: user.Identity{Kind: user.KindSSO, Email: "s@acme.com"}}
	phone := noted{RecordBase: interaction.RecordBase{Identifier: &interaction.Identifier{Type: "phone", Value: "61412345678"}}}
	for name, tt := range map[string]struct {
		rec  interaction.Record
		want string
	}{"code": {code, "a@acme.com"}, "social": {social, "s@acme.com"}, "sso": {sso, ""}, "phone": {phone, ""}} {
		if got := interaction.RecordEmail(tt.rec); got != tt.want {
			t.Errorf("%s: %q, want %q", name, got, tt.want)
		}
	}
}

// A sign-in verified by enterprise SSO is asked for no MFA, neither the
// verification of a user's factor nor a binding a policy demands; a social
// one is.
func TestSSOBypassesMFA(t *testing.T) {
	sie := settings.Default()
	sie.MFA = settings.MFA{Factors: []string{user.FactorTotp}, Policy: interaction.PolicyMandatory}
	withTotp := alice()
	withTotp.Factors = []user.Factor{{ID: "t", Type: user.FactorTotp}}
	identified := &interaction.Identified{UserID: withTotp.ID}
	tests := []struct {
		name           string
		state          interaction.State
		u              *user.State
		guard, fulfill string
	}{
		{"SSO, user with TOTP", given(started("SignIn"), federated(user.KindSSO, true), identified), withTotp, "", ""},
		{"SSO, user without a factor", given(started("SignIn"), federated(user.KindSSO, true), identified), alice(), "", ""},
		{"SSO record not verified", given(started("SignIn"), federated(user.KindSSO, false), identified), withTotp,
			"session.mfa.require_mfa_verification", ""},
		{"social, user with TOTP", given(started("SignIn"), federated(user.KindSocial, true), identified), withTotp,
			"session.mfa.require_mfa_verification", ""},
		{"social, user without a factor", given(started("SignIn"), federated(user.KindSocial, true), identified), alice(),
			"", "user.missing_mfa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := interaction.GuardMFA(tt.state, &sie, tt.u); domain.Code(err) != tt.guard {
				t.Errorf("GuardMFA: %v, want %q", err, tt.guard)
			}
			if err := interaction.CheckMFAFulfilment(tt.state, &sie, tt.u); domain.Code(err) != tt.fulfill {
				t.Errorf("CheckMFAFulfilment: %v, want %q", err, tt.fulfill)
			}
		})
	}
}
