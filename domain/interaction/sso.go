package interaction

import (
	"strings"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// SSOConnector is an enterprise SSO connector as the method-independent
// rules see it: the email domains whose users must sign in through it.
type SSOConnector struct {
	ID, Name string
	Domains  []string
}

// SSOConnectorsFor are the connectors listing email's domain, compared
// case-insensitively (GET /sso-connectors; the SSO-only email guard).
func SSOConnectorsFor(cs []SSOConnector, email string) []SSOConnector {
	at := strings.LastIndexByte(email, '@')
	if at < 0 || at == len(email)-1 {
		return nil
	}
	d := email[at+1:]
	var out []SSOConnector
	for _, c := range cs {
		for _, cd := range c.Domains {
			if strings.EqualFold(cd, d) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// GuardSSOEmail refuses an email whose domain signs in only through SSO
// (docs/experience.md, SSO-only domains): 422 session.sso_enabled naming
// the connectors (id and name only), when singleSignOnEnabled.
func GuardSSOEmail(sie *settings.SignInExperience, cs []SSOConnector, email string) error {
	if !sie.SingleSignOnEnabled || email == "" {
		return nil
	}
	found := SSOConnectorsFor(cs, email)
	if len(found) == 0 {
		return nil
	}
	list := make([]map[string]string, 0, len(found))
	for _, c := range found {
		list = append(list, map[string]string{"id": c.ID, "connectorName": c.Name})
	}
	return domain.E("session.sso_enabled").WithData(map[string]any{"ssoConnectors": list})
}

// RecordEmail is the email a record carries for the SSO-only guard: its
// identifier's, or a social provider's; "" for an SSO record, which is
// the way in for such an email.
func RecordEmail(rec Record) string {
	if f, ok := rec.(Federated); ok {
		id := f.FederatedIdentity()
		if id.Kind == user.KindSSO {
			return ""
		}
		return id.Email
	}
	if id := rec.Base().Identifier; id != nil && id.Type == user.KindEmail {
		return id.Value
	}
	return ""
}

// ssoVerified reports a verified enterprise SSO record in the
// interaction: the IdP authenticated the user, so MFA is neither asked
// for nor prompted (docs/experience.md, Enterprise SSO).
func ssoVerified(s State) bool {
	for _, r := range s.Records {
		if f, ok := r.(Federated); ok && r.Base().Verified && f.FederatedIdentity().Kind == user.KindSSO {
			return true
		}
	}
	return false
}
