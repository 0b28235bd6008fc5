package main

import (
	"net/netip"

	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/throttle"
)

// Environment variables that override secrets.cookieKey and
// secrets.encryptionKey, so that a config file can be committed without them.
const (
	CookieKeyEnv     = "AUTHTRAIL_COOKIE_KEY"
	EncryptionKeyEnv = "AUTHTRAIL_ENCRYPTION_KEY"
)

// Config is the server configuration (docs/config.md). YAML keys are the
// lower-camel names in the tags.
type Config struct {
	HTTP             HTTPConfig                `yaml:"http"`
	NATS             NATSConfig                `yaml:"nats"`
	Secrets          SecretsConfig             `yaml:"secrets"`
	Interaction      InteractionConfig         `yaml:"interaction"`
	SignInExperience settings.SignInExperience `yaml:"signInExperience"`
	Connectors       ConnectorsConfig          `yaml:"connectors"`
	WebAuthn         WebAuthnConfig            `yaml:"webauthn"`
	MFAAPI           MFAAPIConfig              `yaml:"mfaApi"`
	Limits           LimitsConfig              `yaml:"limits"`
	Log              LogConfig                 `yaml:"log"`
	Metrics          MetricsConfig             `yaml:"metrics"`
	Webhooks         []WebhookConfig           `yaml:"webhooks"`
	OIDC             OIDCConfig                `yaml:"oidc"`
}

// LimitsConfig: TrustedProxies are CIDRs (or single addresses) whose
// X-Forwarded-For is believed; the rest are the per-client-address limits
// (docs/config.md, limits).
type LimitsConfig struct {
	TrustedProxies      []string   `yaml:"trustedProxies"`
	FailedAttemptsPerIP RateConfig `yaml:"failedAttemptsPerIp"`
	NewRecipientsPerIP  RateConfig `yaml:"newRecipientsPerIp"`
	TokenRequestsPerIP  RateConfig `yaml:"tokenRequestsPerIp"`
}

// RateConfig is count per window; count 0 disables the limit.
type RateConfig struct {
	Count  int      `yaml:"count"`
	Window Duration `yaml:"window"`
}

func (r RateConfig) rate() throttle.Rate {
	return throttle.Rate{Count: r.Count, Window: r.Window.Duration}
}

// trustedProxies parses limits.trustedProxies; Validate has checked them.
func (l LimitsConfig) trustedProxies() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(l.TrustedProxies))
	for _, s := range l.TrustedProxies {
		if p, err := parseProxy(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func parseProxy(s string) (netip.Prefix, error) {
	if addr, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	return p.Masked(), err
}

type HTTPConfig struct {
	Addr      string `yaml:"addr"`
	PublicURL string `yaml:"publicUrl"`
	// AllowedOrigins may call the Experience API from a browser, besides
	// publicUrl's origin.
	AllowedOrigins []string `yaml:"allowedOrigins"`
	// ReadTimeout bounds reading a whole request, body included;
	// IdleTimeout an idle keep-alive connection; MaxConnections the
	// connections served at once (more wait to be accepted).
	ReadTimeout    Duration `yaml:"readTimeout"`
	IdleTimeout    Duration `yaml:"idleTimeout"`
	MaxConnections int      `yaml:"maxConnections"`
}

// NATSConfig: an empty URL runs the embedded server with its store in DataDir.
// Listen lets the embedded server accept the Users' clients there.
type NATSConfig struct {
	URL        string     `yaml:"url"`
	DataDir    string     `yaml:"dataDir"`
	Replicas   int        `yaml:"replicas"`
	SyncAlways bool       `yaml:"syncAlways"`
	Listen     string     `yaml:"listen"`
	Users      []NATSUser `yaml:"users"`
	// PublicStream is AUTH_EVENTS' retention (docs/audit.md, Public event stream).
	PublicStream PublicStreamConfig `yaml:"publicStream"`
}

// PublicStreamConfig: MaxAge 0 keeps everything.
type PublicStreamConfig struct {
	MaxAge Duration `yaml:"maxAge"`
}

// NATSUser may connect to nats.listen; Role is downstream (the default) or
// audit (docs/audit.md, NATS access).
type NATSUser struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	Role     string `yaml:"role"`
}

// SecretsConfig holds base64 keys; empty ones are generated once and kept in
// nats.dataDir by the server.
type SecretsConfig struct {
	CookieKey     string `yaml:"cookieKey"`
	EncryptionKey string `yaml:"encryptionKey"`
}

type InteractionConfig struct {
	TTL       Duration `yaml:"ttl"`
	ReturnURL string   `yaml:"returnUrl"`
}

// ConnectorsConfig: a nil Email or SMS means no such connector.
type ConnectorsConfig struct {
	Email  *EmailConnectorConfig   `yaml:"email"`
	SMS    *SMSConnectorConfig     `yaml:"sms"`
	Social []SocialConnectorConfig `yaml:"social"`
	SSO    []SSOConnectorConfig    `yaml:"sso"`
	// Timeout bounds each social or SSO provider call and verify's wait
	// for its outcome (default 10s).
	Timeout Duration `yaml:"timeout"`
}

type EmailConnectorConfig struct {
	Type string      `yaml:"type"` // smtp | console
	SMTP *SMTPConfig `yaml:"smtp"`
}

type SMTPConfig struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	From     string `yaml:"from"`
	TLS      string `yaml:"tls"` // none | starttls | implicit
}

type SMSConnectorConfig struct {
	Type string         `yaml:"type"` // http | console
	HTTP *SMSHTTPConfig `yaml:"http"`
}

// SMSHTTPConfig: the connector POSTs JSON {"to","code","type","message"} to URL.
type SMSHTTPConfig struct {
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers"`
}

type SocialConnectorConfig struct {
	ID                    string   `yaml:"id"`
	Type                  string   `yaml:"type"` // oidc | oauth2
	Target                string   `yaml:"target"`
	ClientID              string   `yaml:"clientId"`
	ClientSecret          string   `yaml:"clientSecret"`
	Scopes                []string `yaml:"scopes"`
	Issuer                string   `yaml:"issuer"`
	AuthorizationEndpoint string   `yaml:"authorizationEndpoint"`
	TokenEndpoint         string   `yaml:"tokenEndpoint"`
	UserinfoEndpoint      string   `yaml:"userinfoEndpoint"`
	// TokenEndpointAuthMethod: client_secret_basic | client_secret_post;
	// empty tries basic, then post.
	TokenEndpointAuthMethod string `yaml:"tokenEndpointAuthMethod"`
	// UserInfoMapping names the oauth2 user info fields (id, email,
	// emailVerified, name, avatar).
	UserInfoMapping map[string]string `yaml:"userInfoMapping"`
	SyncProfile     bool              `yaml:"syncProfile"`
}

type SSOConnectorConfig struct {
	ID            string         `yaml:"id"`
	Type          string         `yaml:"type"` // oidc | saml
	ConnectorName string         `yaml:"connectorName"`
	Domains       []string       `yaml:"domains"`
	OIDC          *SSOOIDCConfig `yaml:"oidc"`
	SAML          *SSOSAMLConfig `yaml:"saml"`
	// TrustUnverifiedEmail: the IdP's email links an existing user even
	// when the IdP does not mark it verified (a SAML email never is).
	TrustUnverifiedEmail bool `yaml:"trustUnverifiedEmail"`
	SyncProfile          bool `yaml:"syncProfile"`
}

type SSOOIDCConfig struct {
	Issuer       string   `yaml:"issuer"`
	ClientID     string   `yaml:"clientId"`
	ClientSecret string   `yaml:"clientSecret"`
	Scopes       []string `yaml:"scopes"`
}

type SSOSAMLConfig struct {
	IDPMetadataURL string `yaml:"idpMetadataUrl"`
	IDPMetadataXML string `yaml:"idpMetadataXml"`
	// EntityID is our SP entity id (default: the SP metadata URL).
	EntityID string `yaml:"entityId"`
	// AttributeMapping names the attributes of email, name and avatar.
	AttributeMapping map[string]string `yaml:"attributeMapping"`
}

// WebAuthnConfig: empty fields are derived from http.publicUrl.
type WebAuthnConfig struct {
	RPID    string   `yaml:"rpId"`
	RPName  string   `yaml:"rpName"`
	Origins []string `yaml:"origins"`
}

// MFAAPIConfig configures the OneLogin-compatible MFA API.
type MFAAPIConfig struct {
	Clients []MFAClient `yaml:"clients"`
	Factors []MFAFactor `yaml:"factors"`
}

type MFAClient struct {
	ClientID     string `yaml:"clientId"`
	ClientSecret string `yaml:"clientSecret"`
	Scope        string `yaml:"scope"` // authentication_only | read_users | manage_users | read_all | manage_all
}

type MFAFactor struct {
	FactorID       int    `yaml:"factorId"`
	Name           string `yaml:"name"`
	AuthFactorName string `yaml:"authFactorName"`
	Kind           string `yaml:"kind"` // totp | sms | email
}
