package connectors

// Authorization is one sign-in at a social provider or an enterprise IdP,
// as the API drew it: what the provider's authorization URL carries, and
// what the answer must match. The API keeps it sealed in the log.
type Authorization struct {
	// RedirectURI is where the provider sends the browser back (OIDC and
	// OAuth 2.0; SAML answers at its assertion consumer service).
	RedirectURI string `json:"redirectUri,omitempty"`
	// State is the client's state: the OAuth 2.0 state parameter, and for
	// SAML what the assertion consumer service hands back to the client.
	State string `json:"state,omitempty"`
	// Nonce is the OIDC nonce the ID token must carry.
	Nonce string `json:"nonce,omitempty"`
	// Verifier is the PKCE S256 code verifier.
	Verifier string `json:"verifier,omitempty"`
	// RequestID is the SAML AuthnRequest's ID, which the response's
	// InResponseTo must name.
	RequestID string `json:"requestId,omitempty"`
	// RelayState names the interaction's record at the SAML assertion
	// consumer service (the IdP echoes it with the response).
	RelayState string `json:"relayState,omitempty"`
}

// UserInfo is who the provider says signed in.
type UserInfo struct {
	ID            string `json:"id"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"emailVerified,omitempty"`
	Phone         string `json:"phone,omitempty"`
	PhoneVerified bool   `json:"phoneVerified,omitempty"`
	Name          string `json:"name,omitempty"`
	Avatar        string `json:"avatar,omitempty"`
	// Issuer is the ID token's issuer, or the SAML IdP's entity id.
	Issuer string `json:"issuer,omitempty"`
	// AssertionID is the SAML assertion's ID (SAML only), recorded so a
	// trail shows which assertion signed the user in.
	AssertionID string `json:"assertionId,omitempty"`
}
