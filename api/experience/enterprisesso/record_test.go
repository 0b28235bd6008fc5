package enterprisesso

import (
	"testing"

	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/workers/connectors"
)

func TestRecordRules(t *testing.T) {
	on, off := settings.Default(), settings.Default()
	on.SingleSignOnEnabled = true
	rec := Record{federated.Record{ConnectorID: "acme", Info: &connectors.UserInfo{ID: "sub", Issuer: "https://idp", Email: "a@acme.com"}}}
	for _, tt := range []struct {
		event string
		sie   *settings.SignInExperience
		want  string
	}{
		{settings.EventSignIn, &on, ""},
		{settings.EventSignIn, &off, "user.sign_in_method_not_enabled"},
		{settings.EventForgotPassword, &on, "session.not_supported_for_forgot_password"},
	} {
		if got := domain.Code(rec.CheckIdentify(tt.event, tt.sie)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.event, got, tt.want)
		}
	}
	if id := rec.Identifies(); id.Kind != user.KindSSO || id.Value != "https://idp sub" {
		t.Errorf("identifies %+v, want the (issuer, subject) claim", id)
	}
	if email, _ := rec.VerifiedContacts(); email != "" {
		t.Errorf("an unverified email %q counts as verified", email)
	}
	rec.TrustUnverifiedEmail = true
	if email, _ := rec.VerifiedContacts(); email != "a@acme.com" {
		t.Errorf("a trusted email %q does not count", email)
	}
	if p := rec.Profile(); p.PrimaryEmail == nil || p.PrimaryPhone != nil || p.Name != nil || !p.Offered || p.Identity.Target != "https://idp" {
		t.Errorf("profile %+v: want the identity and the email offered, no synced name", p)
	}
}
