package main

import (
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/authtrail/authtrail/api/oidcprovider"
)

// OIDCConfig is the OpenID Connect provider (docs/oidc.md, Configuration).
type OIDCConfig struct {
	SignInURL          string             `yaml:"signInUrl"`
	Clients            []OIDCClientConfig `yaml:"clients"`
	Resources          []string           `yaml:"resources"`
	TTL                OIDCTTLConfig      `yaml:"ttl"`
	SigningKeyRotation Duration           `yaml:"signingKeyRotation"`
}

// OIDCClientConfig is one application.
type OIDCClientConfig struct {
	ClientID               string   `yaml:"clientId"`
	Type                   string   `yaml:"type"`
	ClientSecret           string   `yaml:"clientSecret"`
	RedirectURIs           []string `yaml:"redirectUris"`
	PostLogoutRedirectURIs []string `yaml:"postLogoutRedirectUris"`
	Scopes                 []string `yaml:"scopes"`
}

// OIDCTTLConfig are the lifetimes of what the provider issues.
type OIDCTTLConfig struct {
	IDToken      Duration `yaml:"idToken"`
	AccessToken  Duration `yaml:"accessToken"`
	RefreshToken Duration `yaml:"refreshToken"`
	Session      Duration `yaml:"session"`
}

// oidcScopes are the scopes a client may be given.
var oidcScopes = []string{"openid", "profile", "email", "phone", "offline_access"}

// defaultOIDC is the provider without an oidc section: one public client
// demo, for the README's walk-through.
func defaultOIDC() OIDCConfig {
	t := oidcprovider.DefaultTTL
	return OIDCConfig{
		Clients: []OIDCClientConfig{{ClientID: "demo", Type: oidcprovider.TypeSPA,
			RedirectURIs: []string{"http://localhost:3000/callback"}, PostLogoutRedirectURIs: []string{"http://localhost:3000/"},
			Scopes: slices.Clone(oidcScopes)}},
		TTL: OIDCTTLConfig{IDToken: Duration{t.IDToken}, AccessToken: Duration{t.AccessToken},
			RefreshToken: Duration{t.RefreshToken}, Session: Duration{t.Session}},
		SigningKeyRotation: Duration{30 * 24 * time.Hour},
	}
}

func (c *Config) validateOIDC(p *problems) {
	o := c.OIDC
	if o.SignInURL != "" {
		if err := checkConfigURL("oidc.signInUrl", o.SignInURL, true); err != nil {
			p.add(err)
		} else if u, _ := url.Parse(o.SignInURL); !slices.Contains(append([]string{origin(c.HTTP.PublicURL)}, c.HTTP.AllowedOrigins...), origin(o.SignInURL)) {
			p.addf("oidc.signInUrl", "%q: its origin %s must be http.publicUrl's or in http.allowedOrigins (the page calls the Experience API)", o.SignInURL, u.Scheme+"://"+u.Host)
		}
	}
	ttl := map[string]time.Duration{"idToken": o.TTL.IDToken.Duration, "accessToken": o.TTL.AccessToken.Duration,
		"refreshToken": o.TTL.RefreshToken.Duration, "session": o.TTL.Session.Duration}
	for _, k := range []string{"idToken", "accessToken", "refreshToken", "session"} {
		if ttl[k] <= 0 {
			p.addf("oidc.ttl."+k, "must be positive (e.g. 1h)")
		}
	}
	if o.SigningKeyRotation.Duration < o.TTL.IDToken.Duration || o.SigningKeyRotation.Duration <= 0 {
		p.addf("oidc.signingKeyRotation", "%s must be positive and at least oidc.ttl.idToken (%s): the previous key must outlive its tokens",
			o.SigningKeyRotation.Duration, o.TTL.IDToken.Duration)
	}
	for i, res := range o.Resources {
		if u, err := url.Parse(res); err != nil || !u.IsAbs() || u.Fragment != "" {
			p.addf(fmt.Sprintf("oidc.resources[%d]", i), "%q is not an absolute URI without a fragment (RFC 8707)", res)
		}
	}
	seen := map[string]bool{}
	for i, cl := range o.Clients {
		p.add(cl.validate(fmt.Sprintf("oidc.clients[%d]", i), seen))
	}
}

// validate reports the client's first problem.
func (cl OIDCClientConfig) validate(key string, seen map[string]bool) error {
	switch {
	case cl.ClientID == "":
		return configErrorf(key+".clientId", "missing")
	case seen[cl.ClientID]:
		return configErrorf(key+".clientId", "%q is used twice", cl.ClientID)
	}
	seen[cl.ClientID] = true
	if !slices.Contains([]string{oidcprovider.TypeSPA, oidcprovider.TypeNative, oidcprovider.TypeTraditional}, cl.Type) {
		return configErrorf(key+".type", "unknown value %q (want spa, native or traditional)", cl.Type)
	}
	if (cl.Type == oidcprovider.TypeTraditional) != (cl.ClientSecret != "") {
		return configErrorf(key+".clientSecret", "required for a traditional client, and only for one (use ${NAME})")
	}
	if len(cl.RedirectURIs) == 0 {
		return configErrorf(key+".redirectUris", "missing")
	}
	for j, raw := range append(slices.Clone(cl.RedirectURIs), cl.PostLogoutRedirectURIs...) {
		k := fmt.Sprintf("%s.redirectUris[%d]", key, j)
		if j >= len(cl.RedirectURIs) {
			k = fmt.Sprintf("%s.postLogoutRedirectUris[%d]", key, j-len(cl.RedirectURIs))
		}
		u, err := url.Parse(raw)
		switch {
		case err != nil || !u.IsAbs() || u.Fragment != "":
			return configErrorf(k, "%q is not an absolute URI without a fragment", raw)
		case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
			return configErrorf(k, "%q: http only for localhost or a loopback address; use https", raw)
		case u.Scheme != "http" && u.Scheme != "https" && cl.Type != oidcprovider.TypeNative:
			return configErrorf(k, "%q: a custom scheme only for a native client", raw)
		}
	}
	for j, s := range cl.Scopes {
		if !slices.Contains(oidcScopes, s) {
			return configErrorf(fmt.Sprintf("%s.scopes[%d]", key, j), "unknown value %q (want some of openid, profile, email, phone, offline_access)", s)
		}
	}
	if !slices.Contains(cl.Scopes, "openid") {
		return configErrorf(key+".scopes", "must include openid")
	}
	return nil
}

func isLoopbackHost(h string) bool { return h == "localhost" || h == "127.0.0.1" || h == "::1" }

// origin is scheme://host of a URL, or "".
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// provider is the provider's configuration.
func (o OIDCConfig) provider(publicURL string, secure bool) oidcprovider.Config {
	cfg := oidcprovider.Config{PublicURL: publicURL, SignInURL: o.SignInURL, SecureCookie: secure, Resources: o.Resources,
		KeyRotation: o.SigningKeyRotation.Duration,
		TTL: oidcprovider.TTL{IDToken: o.TTL.IDToken.Duration, AccessToken: o.TTL.AccessToken.Duration,
			RefreshToken: o.TTL.RefreshToken.Duration, Session: o.TTL.Session.Duration}}
	for _, cl := range o.Clients {
		cfg.Clients = append(cfg.Clients, oidcprovider.ClientConfig{ID: cl.ClientID, Type: cl.Type, Secret: cl.ClientSecret,
			RedirectURIs: cl.RedirectURIs, PostLogoutRedirectURIs: cl.PostLogoutRedirectURIs, Scopes: cl.Scopes})
	}
	return cfg
}
