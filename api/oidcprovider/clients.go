package oidcprovider

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Client types (docs/oidc.md, Configuration).
const (
	TypeSPA         = "spa"         // a browser app: public, PKCE
	TypeNative      = "native"      // a mobile or desktop app: public, PKCE
	TypeTraditional = "traditional" // a server-side app: confidential, with a secret
)

// ClientConfig is a configured application (config oidc.clients[]).
type ClientConfig struct {
	ID                     string
	Type                   string
	Secret                 string // traditional only
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	Scopes                 []string
}

// client is a ClientConfig as the op library sees it. The secret is kept as
// a digest only, compared in constant time.
type client struct {
	cfg        ClientConfig
	secret     [sha256.Size]byte
	idTokenTTL time.Duration
	loginURL   string
	// jwt: this token request's access token is a JWT (its grant names
	// resources); see forToken.
	jwt bool
}

var _ op.Client = (*client)(nil)

func newClient(c ClientConfig, idTokenTTL time.Duration, loginURL string) *client {
	cl := &client{cfg: c, idTokenTTL: idTokenTTL, loginURL: loginURL}
	if c.Secret != "" {
		cl.secret = sha256.Sum256([]byte(c.Secret))
	}
	cl.cfg.Secret = ""
	return cl
}

func (c *client) public() bool { return c.cfg.Type != TypeTraditional }

// secretMatches reports, in constant time, whether secret is the client's.
func (c *client) secretMatches(secret string) bool {
	if c.public() {
		return false
	}
	sum := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(sum[:], c.secret[:]) == 1
}

func (c *client) GetID() string                    { return c.cfg.ID }
func (c *client) RedirectURIs() []string           { return c.cfg.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.cfg.PostLogoutRedirectURIs }

func (c *client) ApplicationType() op.ApplicationType {
	switch c.cfg.Type {
	case TypeNative:
		return op.ApplicationTypeNative
	case TypeTraditional:
		return op.ApplicationTypeWeb
	}
	return op.ApplicationTypeUserAgent
}

func (c *client) AuthMethod() oidc.AuthMethod {
	if c.public() {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}

// LoginURL is where the op library would send the browser; /oidc/auth is
// served here (authorize.go), which starts the interaction first.
func (c *client) LoginURL(string) string { return c.loginURL }

// AccessTokenType: a JWT (RFC 9068) for a grant with resources, else
// opaque; both are introspected and read at userinfo.
func (c *client) AccessTokenType() op.AccessTokenType {
	if c.jwt {
		return op.AccessTokenTypeJWT
	}
	return op.AccessTokenTypeBearer
}
func (c *client) IDTokenLifetime() time.Duration { return c.idTokenTTL }

// DevMode lets an http redirect URI through only when every http one is
// on this machine (localhost or a loopback address): the default demo
// client's http://localhost:3000/callback. Exact matching applies anyway.
func (c *client) DevMode() bool {
	for _, raw := range c.cfg.RedirectURIs {
		u, err := url.Parse(raw)
		if err != nil {
			return false
		}
		if u.Scheme == "http" && !loopback(u.Hostname()) {
			return false
		}
	}
	return true
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) IsScopeAllowed(scope string) bool { return slices.Contains(c.cfg.Scopes, scope) }

// IDTokenUserinfoClaimsAssertion: with an access token, the profile claims
// are read at userinfo (docs/oidc.md, Tokens).
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *client) ClockSkew() time.Duration             { return 0 }

// grantedScopes keeps of the requested scopes those the client may have,
// in the request's order (an unknown scope is dropped, as Logto does).
func (c *client) grantedScopes(requested []string) []string {
	var out []string
	for _, s := range requested {
		if c.IsScopeAllowed(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
