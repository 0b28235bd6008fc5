// Package saml is the service-provider side of SAML 2.0 for the enterprise
// SSO connector, on crewjam/saml: SP-initiated sign-in only, the
// AuthnRequest sent with the HTTP-Redirect binding (unsigned: we hold no SP
// key) and the Response received with the HTTP-POST binding, which must be
// signed by a key of the IdP's metadata and answer our request (audience,
// recipient, time window, InResponseTo). Failures are *connectors.Error with
// Logto's connector codes.
package saml

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/workers/connectors"
)

// Config is one IdP, as our SP sees it.
type Config struct {
	// EntityID is our SP entity id, the audience the IdP asserts for;
	// MetadataURL when empty.
	EntityID string
	// ACSURL is our assertion consumer service (HTTP-POST binding) and
	// MetadataURL where our SP metadata is published. Both are required.
	ACSURL, MetadataURL string
	// The IdP's metadata: exactly one of the document, or the URL it is
	// fetched from on first use (and then kept; a failed fetch is retried
	// on the next use, so an IdP down at start-up does not keep the server
	// from starting).
	IDPMetadataXML []byte
	IDPMetadataURL string
	// AttributeMapping names the attributes read for the email, name and
	// avatar; its empty fields keep the defaults (see Mapping).
	AttributeMapping Mapping
	// HTTPClient fetches IDPMetadataURL (http.DefaultClient when nil).
	HTTPClient *http.Client
	// Now is the clock (time.Now when nil); tests move it.
	Now func() time.Time
}

// Mapping names, per field of connectors.UserInfo, the SAML attribute
// read for it, matched by Name or FriendlyName. A non-empty field replaces
// that field's default list (DefaultEmailAttributes, DefaultNameAttributes,
// DefaultAvatarAttributes).
type Mapping struct {
	Email, Name, Avatar string
}

// The attributes read when the mapping leaves a field empty, first present
// first: what Okta, Azure AD / Entra ID, ADFS and Google commonly send.
var (
	DefaultEmailAttributes  = []string{"email", "mail", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"}
	DefaultNameAttributes   = []string{"name", "displayName", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"}
	DefaultAvatarAttributes = []string{"avatar"}
)

// attributeNames is the mapping as lists of candidate attribute names.
type attributeNames struct {
	email, name, avatar []string
}

func (m Mapping) names() attributeNames {
	pick := func(v string, def []string) []string {
		if v == "" {
			return def
		}
		return []string{v}
	}
	return attributeNames{email: pick(m.Email, DefaultEmailAttributes), name: pick(m.Name, DefaultNameAttributes),
		avatar: pick(m.Avatar, DefaultAvatarAttributes)}
}

// CodeAuthorizationFailed is the code of a response the IdP sent that does
// not authorize the sign-in: bad signature, another audience, expired, a
// NameID that cannot identify a returning user...
var CodeAuthorizationFailed = domain.E("connector.authorization_failed").Code

// Connector is our SP for one IdP. It is safe for concurrent use.
type Connector struct {
	cfg                 Config
	entityID            string
	acsURL, metadataURL url.URL
	names               attributeNames

	mu  sync.Mutex
	idp *crewjam.EntityDescriptor // nil until IDPMetadataURL was fetched
}

// New checks cfg and returns the connector. IDPMetadataXML is parsed now;
// IDPMetadataURL is fetched on first use.
func New(cfg Config) (*Connector, error) {
	acsURL, err := absoluteURL("ACSURL", cfg.ACSURL)
	if err != nil {
		return nil, err
	}
	metadataURL, err := absoluteURL("MetadataURL", cfg.MetadataURL)
	if err != nil {
		return nil, err
	}
	c := &Connector{cfg: cfg, entityID: cfg.EntityID, acsURL: *acsURL, metadataURL: *metadataURL, names: cfg.AttributeMapping.names()}
	if c.entityID == "" {
		c.entityID = cfg.MetadataURL
	}
	if c.cfg.HTTPClient == nil {
		c.cfg.HTTPClient = http.DefaultClient
	}
	switch hasXML, hasURL := len(cfg.IDPMetadataXML) > 0, cfg.IDPMetadataURL != ""; {
	case hasXML && hasURL:
		return nil, configError("give either IDPMetadataXML or IDPMetadataURL, not both")
	case hasXML:
		if c.idp, err = parseIDPMetadata(cfg.IDPMetadataXML); err != nil {
			return nil, configError("IDPMetadataXML: %v", err)
		}
	case hasURL:
		if _, err := absoluteURL("IDPMetadataURL", cfg.IDPMetadataURL); err != nil {
			return nil, err
		}
	default:
		return nil, configError("the IdP's metadata is required: IDPMetadataXML or IDPMetadataURL")
	}
	return c, nil
}

// EntityID is our SP entity id.
func (c *Connector) EntityID() string { return c.entityID }

func absoluteURL(field, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, configError("%s is required", field)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, configError("%s %q is not an absolute http(s) URL", field, raw)
	}
	return u, nil
}

// serviceProvider is crewjam's SP for one call, with the clock read now:
// a fresh value per call keeps concurrent calls apart.
func (c *Connector) serviceProvider(idp *crewjam.EntityDescriptor) *crewjam.ServiceProvider {
	sp := &crewjam.ServiceProvider{
		EntityID:    c.entityID,
		AcsURL:      c.acsURL,
		MetadataURL: c.metadataURL,
		IDPMetadata: idp,
		// SP-initiated only: an unsolicited response is not tied to a
		// sign-in the API started.
		AllowIDPInitiated: false,
		// No Format in the NameIDPolicy: the IdP sends its own (persistent
		// or email for most), and crewjam's default asks for transient,
		// which we refuse.
		AuthnNameIDFormat:                crewjam.UnspecifiedNameIDFormat,
		AssertionConsumerServiceBindings: []string{crewjam.HTTPPostBinding},
	}
	if c.cfg.Now != nil {
		sp.Clock = dsig.NewFakeClockAt(c.cfg.Now())
	}
	return sp
}

func configError(format string, args ...any) *connectors.Error {
	return &connectors.Error{Code: connectors.CodeInvalidConfig, Permanent: true, Err: fmt.Errorf("saml: "+format, args...)}
}

func authorizationFailed(format string, args ...any) *connectors.Error {
	return &connectors.Error{Code: CodeAuthorizationFailed, Permanent: true, Err: fmt.Errorf("saml: "+format, args...)}
}

func invalidResponse(format string, args ...any) *connectors.Error {
	return &connectors.Error{Code: connectors.CodeInvalidResponse, Permanent: true, Err: fmt.Errorf("saml: "+format, args...)}
}
