package main

import (
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/authtrail/authtrail/api/experience/enterprisesso"
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/workers/connectors/oidc"
	"github.com/authtrail/authtrail/workers/connectors/saml"
)

func (cc ConnectorsConfig) validate(p *problems) {
	cc.Email.validate(p)
	cc.SMS.validate(p)
	// One id space: a route of one kind tells an id of the other apart.
	ids, targets := map[string]string{}, map[string]string{}
	for i, social := range cc.Social {
		p.add(social.validate(fmt.Sprintf("connectors.social[%d]", i), ids, targets))
	}
	for i, sso := range cc.SSO {
		p.add(sso.validate(fmt.Sprintf("connectors.sso[%d]", i), ids))
	}
}

// validate reports the email connector's first problem: the later checks
// read what the earlier ones require.
func (e *EmailConnectorConfig) validate(p *problems) {
	if e == nil {
		return
	}
	if !p.enum("connectors.email.type", e.Type, "smtp", "console") {
		return
	}
	if e.Type == "console" {
		if e.SMTP != nil {
			p.addf("connectors.email.smtp", "only used with type smtp")
		}
		return
	}
	if e.SMTP == nil {
		p.addf("connectors.email.smtp", "missing (required with type smtp)")
		return
	}
	s := e.SMTP
	if s.Host == "" {
		p.addf("connectors.email.smtp.host", "missing")
	}
	if s.Port < 1 || s.Port > 65535 {
		p.addf("connectors.email.smtp.port", "%d is not a TCP port", s.Port)
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		p.addf("connectors.email.smtp.from", "%q is not an email address", s.From)
	}
	p.enum("connectors.email.smtp.tls", s.TLS, "none", "starttls", "implicit")
}

func (s *SMSConnectorConfig) validate(p *problems) {
	if s == nil {
		return
	}
	if !p.enum("connectors.sms.type", s.Type, "http", "console") {
		return
	}
	if s.Type == "console" {
		if s.HTTP != nil {
			p.addf("connectors.sms.http", "only used with type http")
		}
		return
	}
	if s.HTTP == nil {
		p.addf("connectors.sms.http", "missing (required with type http)")
		return
	}
	for name := range s.HTTP.Headers {
		if name == "" || strings.ContainsAny(name, " :\r\n") {
			p.addf("connectors.sms.http.headers", "%q is not a header name", name)
			break
		}
	}
	p.add(checkConfigURL("connectors.sms.http.url", s.HTTP.URL, true))
}

// connectorIDPattern keeps ids safe inside API paths (/social/{connectorId}).
var connectorIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// checkConnectorID requires a path-safe id no connector listed earlier
// (social or SSO) has.
func checkConnectorID(key, id string, ids map[string]string) error {
	if !connectorIDPattern.MatchString(id) {
		return configErrorf(key+".id", "%q is not an id of letters, digits, - and _", id)
	}
	if earlier, taken := ids[id]; taken {
		return configErrorf(key+".id", "%q is already used by %s", id, earlier)
	}
	ids[id] = key
	return nil
}

func (s SocialConnectorConfig) validate(key string, ids, targets map[string]string) error {
	if err := checkConnectorID(key, s.ID, ids); err != nil {
		return err
	}
	if err := checkConfigEnum(key+".type", s.Type, "oidc", "oauth2"); err != nil {
		return err
	}
	if s.Target == "" {
		return configErrorf(key+".target", "missing (the identity key, e.g. google)")
	}
	// Logto keys a user's social identities by target, so two connectors
	// cannot share one.
	if earlier, taken := targets[s.Target]; taken {
		return configErrorf(key+".target", "%q is already used by %s", s.Target, earlier)
	}
	targets[s.Target] = key
	if s.ClientID == "" {
		return configErrorf(key+".clientId", "missing")
	}
	if s.TokenEndpointAuthMethod != "" {
		if err := checkConfigEnum(key+".tokenEndpointAuthMethod", s.TokenEndpointAuthMethod, oidc.TokenAuthBasic, oidc.TokenAuthPost); err != nil {
			return err
		}
	}
	for field := range s.UserInfoMapping {
		if !slices.Contains(userInfoFields, field) {
			return configErrorf(key+".userInfoMapping", "%q is not one of %s", field, strings.Join(userInfoFields, ", "))
		}
	}
	if len(s.UserInfoMapping) > 0 && s.Type != "oauth2" {
		return configErrorf(key+".userInfoMapping", "only used with type oauth2 (oidc reads the ID token)")
	}
	endpoints := []struct{ name, value string }{
		{"issuer", s.Issuer}, {"authorizationEndpoint", s.AuthorizationEndpoint},
		{"tokenEndpoint", s.TokenEndpoint}, {"userinfoEndpoint", s.UserinfoEndpoint},
	}
	for _, e := range endpoints {
		// oidc discovers the endpoints from the issuer; oauth2 has no discovery.
		required := s.Type == "oidc" && e.name == "issuer" || s.Type == "oauth2" && e.name != "issuer"
		if e.value == "" && !required {
			continue
		}
		if err := checkConfigURL(key+"."+e.name, e.value, true); err != nil {
			return err
		}
	}
	return nil
}

// userInfoFields are the keys of userInfoMapping.
var userInfoFields = []string{"id", "email", "emailVerified", "name", "avatar"}

func (s SSOConnectorConfig) validate(key string, ids map[string]string) error {
	if err := checkConnectorID(key, s.ID, ids); err != nil {
		return err
	}
	if err := checkConfigEnum(key+".type", s.Type, "oidc", "saml"); err != nil {
		return err
	}
	if s.ConnectorName == "" {
		return configErrorf(key+".connectorName", "missing (shown to users)")
	}
	for i, domain := range s.Domains {
		if !isConfigDomain(domain) {
			return configErrorf(fmt.Sprintf("%s.domains[%d]", key, i), "%q is not a domain such as acme.com", domain)
		}
	}
	switch {
	case s.Type == "oidc" && s.SAML != nil:
		return configErrorf(key+".saml", "only used with type saml")
	case s.Type == "saml" && s.OIDC != nil:
		return configErrorf(key+".oidc", "only used with type oidc")
	case s.Type == "oidc" && s.OIDC == nil:
		return configErrorf(key+".oidc", "missing (required with type oidc)")
	case s.Type == "saml" && s.SAML == nil:
		return configErrorf(key+".saml", "missing (required with type saml)")
	case s.Type == "oidc":
		if s.OIDC.ClientID == "" {
			return configErrorf(key+".oidc.clientId", "missing")
		}
		return checkConfigURL(key+".oidc.issuer", s.OIDC.Issuer, true)
	}
	if (s.SAML.IDPMetadataURL == "") == (s.SAML.IDPMetadataXML == "") {
		return configErrorf(key+".saml", "set exactly one of idpMetadataUrl and idpMetadataXml")
	}
	for k := range s.SAML.AttributeMapping {
		if !slices.Contains(samlAttributeFields, k) {
			return configErrorf(key+".saml.attributeMapping."+k, "not a mapped field (%s)", strings.Join(samlAttributeFields, ", "))
		}
	}
	if s.SAML.IDPMetadataURL != "" {
		return checkConfigURL(key+".saml.idpMetadataUrl", s.SAML.IDPMetadataURL, true)
	}
	// The document is read now, so a broken one stops the start-up.
	if _, err := saml.New(saml.Config{ACSURL: "http://sp/acs", MetadataURL: "http://sp/metadata",
		IDPMetadataXML: []byte(s.SAML.IDPMetadataXML)}); err != nil {
		return configErrorf(key+".saml.idpMetadataXml", "%v", err)
	}
	return nil
}

// samlAttributeFields are the keys of saml.attributeMapping.
var samlAttributeFields = []string{"email", "name", "avatar"}

func isConfigDomain(domain string) bool {
	if domain == "" || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return false
	}
	for _, r := range domain {
		isAlnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !isAlnum && r != '-' && r != '.' {
			return false
		}
	}
	return true
}

// socialConnectors builds the configured social connectors.
func (cc ConnectorsConfig) socialConnectors() []federated.Connector {
	out := make([]federated.Connector, 0, len(cc.Social))
	for _, s := range cc.Social {
		cfg := oidc.Config{ClientID: s.ClientID, ClientSecret: s.ClientSecret, Scopes: s.Scopes,
			AuthorizationEndpoint: s.AuthorizationEndpoint, TokenEndpoint: s.TokenEndpoint, UserinfoEndpoint: s.UserinfoEndpoint,
			TokenAuth: s.TokenEndpointAuthMethod, HTTPClient: &http.Client{Timeout: cc.timeout()},
			Mapping: oidc.Mapping{ID: s.UserInfoMapping["id"], Email: s.UserInfoMapping["email"],
				EmailVerified: s.UserInfoMapping["emailVerified"], Name: s.UserInfoMapping["name"], Avatar: s.UserInfoMapping["avatar"]}}
		if s.Type == "oidc" {
			cfg.Issuer = s.Issuer
		}
		out = append(out, federated.Connector{ID: s.ID, Target: s.Target, SyncProfile: s.SyncProfile, Provider: oidc.New(cfg)})
	}
	return out
}

// ssoConnectors builds the configured SSO connectors; a SAML one answers
// at its assertion consumer service under publicURL.
func (cc ConnectorsConfig) ssoConnectors(publicURL string) ([]enterprisesso.Connector, error) {
	out := make([]enterprisesso.Connector, 0, len(cc.SSO))
	client := &http.Client{Timeout: cc.timeout()}
	for i, s := range cc.SSO {
		c := enterprisesso.Connector{Connector: federated.Connector{ID: s.ID, SyncProfile: s.SyncProfile,
			TrustUnverifiedEmail: s.TrustUnverifiedEmail}, Name: s.ConnectorName, Domains: s.Domains}
		if s.Type == "oidc" {
			c.Provider = oidc.New(oidc.Config{Issuer: s.OIDC.Issuer, ClientID: s.OIDC.ClientID,
				ClientSecret: s.OIDC.ClientSecret, Scopes: s.OIDC.Scopes, HTTPClient: client})
			out = append(out, c)
			continue
		}
		base := strings.TrimSuffix(publicURL, "/") + enterprisesso.ACSPath(s.ID)
		m := s.SAML.AttributeMapping
		var idpXML []byte
		if s.SAML.IDPMetadataXML != "" {
			idpXML = []byte(s.SAML.IDPMetadataXML)
		}
		sp, err := saml.New(saml.Config{EntityID: s.SAML.EntityID, ACSURL: base, MetadataURL: base + "/metadata",
			IDPMetadataXML: idpXML, IDPMetadataURL: s.SAML.IDPMetadataURL, HTTPClient: client,
			AttributeMapping: saml.Mapping{Email: m["email"], Name: m["name"], Avatar: m["avatar"]}})
		if err != nil {
			return nil, configErrorf(fmt.Sprintf("connectors.sso[%d].saml", i), "%v", err)
		}
		c.Provider, c.Metadata = sp, sp.Metadata
		out = append(out, c)
	}
	return out, nil
}

func (cc ConnectorsConfig) timeout() time.Duration {
	if cc.Timeout.Duration > 0 {
		return cc.Timeout.Duration
	}
	return federated.DefaultTimeout
}
