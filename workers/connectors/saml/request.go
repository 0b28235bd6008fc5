package saml

import (
	"context"
	"fmt"

	crewjam "github.com/crewjam/saml"

	"github.com/authtrail/authtrail/workers/connectors"
)

// AuthorizationURL is where the browser goes to sign in at the IdP: an
// unsigned AuthnRequest with the HTTP-Redirect binding to the IdP's SSO
// service, asking for the response at ACSURL with the HTTP-POST binding.
// Its ID is a.RequestID, which the response's InResponseTo must name, and
// its RelayState a.RelayState.
func (c *Connector) AuthorizationURL(ctx context.Context, a connectors.Authorization) (string, error) {
	if !isNCName(a.RequestID) {
		// The caller draws the ID; an xs:ID must be an NCName.
		return "", &connectors.Error{Code: connectors.CodeGeneral, Permanent: true,
			Err: fmt.Errorf("saml: the request ID %q is not an NCName", a.RequestID)}
	}
	idp, err := c.idpMetadata(ctx)
	if err != nil {
		return "", err
	}
	sp := c.serviceProvider(idp)
	sso := sp.GetSSOBindingLocation(crewjam.HTTPRedirectBinding)
	if sso == "" {
		return "", configError("the IdP %q has no SingleSignOnService with the HTTP-Redirect binding", idp.EntityID)
	}
	req, err := sp.MakeAuthenticationRequest(sso, crewjam.HTTPRedirectBinding, crewjam.HTTPPostBinding)
	if err != nil {
		return "", &connectors.Error{Code: connectors.CodeGeneral, Permanent: true, Err: fmt.Errorf("saml: authn request: %w", err)}
	}
	req.ID = a.RequestID
	u, err := req.Redirect(a.RelayState, sp)
	if err != nil {
		return "", &connectors.Error{Code: connectors.CodeGeneral, Permanent: true, Err: fmt.Errorf("saml: authn request: %w", err)}
	}
	return u.String(), nil
}

// isNCName reports whether s is an ASCII NCName (XML namespaces §3): a
// letter or underscore, then letters, digits, '.', '-' and '_'.
func isNCName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '.' || r == '-')) {
			return false
		}
	}
	return true
}
