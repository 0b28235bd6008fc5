package saml

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"

	crewjam "github.com/crewjam/saml"

	"github.com/authtrail/authtrail/workers/connectors"
)

// Exchange checks the IdP's response, the SAMLResponse form value as
// POSTed to the ACS, against the authorization a (its RequestID), and
// returns who signed in. The response must be signed (the Response or the
// Assertion) by a key of the IdP's metadata, be meant for us (audience,
// recipient and destination), be in its time window and answer
// a.RequestID; its subject is the NameID, which must be persistent,
// emailAddress or unspecified.
func (c *Connector) Exchange(ctx context.Context, a connectors.Authorization, response string) (connectors.UserInfo, error) {
	doc, err := decodeResponse(response)
	if err != nil {
		return connectors.UserInfo{}, invalidResponse("the SAMLResponse is not base64: %v", err)
	}
	// Before any parser sees it: entity expansion (billion laughs) and
	// external entities live in the DTD, and SAML has no use for one.
	if hasMarkupDeclaration(doc) {
		return connectors.UserInfo{}, invalidResponse("a response with a DOCTYPE or an entity declaration is refused")
	}
	idp, err := c.idpMetadata(ctx)
	if err != nil {
		return connectors.UserInfo{}, err
	}
	assertion, err := c.serviceProvider(idp).ParseXMLResponse(doc, []string{a.RequestID}, c.acsURL)
	if err != nil {
		return connectors.UserInfo{}, authorizationFailed("the IdP's response is refused: %v", privateReason(err))
	}
	return c.userInfo(assertion)
}

// decodeResponse decodes the form value, ignoring the line breaks some
// IdPs wrap their base64 with.
func decodeResponse(response string) ([]byte, error) {
	compact := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, response)
	if compact == "" {
		return nil, errors.New("empty")
	}
	return base64.StdEncoding.DecodeString(compact)
}

// hasMarkupDeclaration reports whether doc holds "<!" other than a comment
// or a CDATA section: a DOCTYPE, ENTITY, ELEMENT... in any case. Checked on
// the raw bytes, so no BOM, processing instruction or comment in front of
// it can hide it.
func hasMarkupDeclaration(doc []byte) bool {
	for rest := doc; ; {
		i := bytes.Index(rest, []byte("<!"))
		if i < 0 {
			return false
		}
		rest = rest[i+2:]
		if !bytes.HasPrefix(rest, []byte("--")) && !bytes.HasPrefix(rest, []byte("[CDATA[")) {
			return true
		}
	}
}

// privateReason is why crewjam refused the response: its
// InvalidResponseError says only "Authentication failed" and keeps the
// reason in PrivateErr (and the raw XML in Response, which stays out).
func privateReason(err error) error {
	var ire *crewjam.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		return ire.PrivateErr
	}
	return err
}

// The NameID formats that name the same user at every sign-in.
var stableNameIDFormats = map[string]bool{
	"":                                       true, // absent means unspecified
	string(crewjam.PersistentNameIDFormat):   true,
	string(crewjam.EmailAddressNameIDFormat): true,
	string(crewjam.UnspecifiedNameIDFormat):  true,
}

// userInfo reads who signed in from the checked assertion.
func (c *Connector) userInfo(assertion *crewjam.Assertion) (connectors.UserInfo, error) {
	if assertion.Subject == nil || assertion.Subject.NameID == nil {
		return connectors.UserInfo{}, authorizationFailed("the assertion's subject has no NameID")
	}
	nameID := assertion.Subject.NameID
	switch {
	case nameID.Format == string(crewjam.TransientNameIDFormat):
		return connectors.UserInfo{}, authorizationFailed("a transient NameID cannot identify a returning user")
	case !stableNameIDFormats[nameID.Format]:
		return connectors.UserInfo{}, authorizationFailed("a NameID of format %q cannot identify a returning user", nameID.Format)
	}
	id := strings.TrimSpace(nameID.Value)
	if id == "" {
		return connectors.UserInfo{}, authorizationFailed("the assertion's NameID is empty")
	}
	info := connectors.UserInfo{
		ID:          id,
		Issuer:      assertion.Issuer.Value,
		AssertionID: assertion.ID,
		Email:       attribute(assertion, c.names.email),
		Name:        attribute(assertion, c.names.name),
		Avatar:      attribute(assertion, c.names.avatar),
		// SAML carries no verified claim: whether to trust the IdP's
		// emails is the caller's decision.
		EmailVerified: false,
	}
	if nameID.Format == string(crewjam.EmailAddressNameIDFormat) {
		info.Email = id
	}
	return info, nil
}

// attribute is the first non-empty value of the first of names present in
// the assertion, matched by Name, then by FriendlyName (which is not meant
// to identify an attribute, but is often all a mapping knows).
func attribute(assertion *crewjam.Assertion, names []string) string {
	for _, name := range names {
		for _, byName := range []bool{true, false} {
			for _, statement := range assertion.AttributeStatements {
				for _, attr := range statement.Attributes {
					if byName && attr.Name != name || !byName && attr.FriendlyName != name {
						continue
					}
					for _, v := range attr.Values {
						if s := strings.TrimSpace(v.Value); s != "" {
							return s
						}
					}
				}
			}
		}
	}
	return ""
}
