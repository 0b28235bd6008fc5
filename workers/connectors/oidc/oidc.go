// Package oidc is the client side of OpenID Connect and OAuth 2.0 for the
// social and enterprise SSO connectors: the authorization URL (always with
// PKCE S256, and a nonce for OIDC), and the exchange of the code the
// provider sent back for the user's identity, which checks the ID token's
// signature, issuer, audience, expiry and nonce (coreos/go-oidc, which
// leaves the nonce to its caller) or, for plain OAuth 2.0, reads the user
// info endpoint through a claim mapping. Failures are *connectors.Error
// with Logto's connector codes.
package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/workers/connectors"
)

// Config is one provider.
type Config struct {
	// Issuer is the OIDC issuer, whose discovery document names the
	// endpoints; empty for plain OAuth 2.0.
	Issuer       string
	ClientID     string
	ClientSecret string
	Scopes       []string
	// The endpoints: required without Issuer, else they override discovery.
	AuthorizationEndpoint, TokenEndpoint, UserinfoEndpoint string
	// TokenAuth is how the client authenticates at the token endpoint:
	// "client_secret_basic", "client_secret_post", or "" to find out (a
	// failed first try is repeated the other way).
	TokenAuth string
	// Mapping names the user info fields of plain OAuth 2.0 (DefaultMapping
	// for the keys it leaves empty).
	Mapping Mapping
	// HTTPClient makes the provider calls (http.DefaultClient when nil).
	HTTPClient *http.Client
}

// Mapping names, per field of connectors.UserInfo, the provider's user info key.
type Mapping struct {
	ID, Email, EmailVerified, Name, Avatar string
}

// DefaultMapping is the OAuth 2.0 user info mapping's default.
var DefaultMapping = Mapping{ID: "id", Email: "email", EmailVerified: "email_verified", Name: "name", Avatar: "picture"}

func (m Mapping) withDefaults() Mapping {
	pick := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	return Mapping{ID: pick(m.ID, DefaultMapping.ID), Email: pick(m.Email, DefaultMapping.Email),
		EmailVerified: pick(m.EmailVerified, DefaultMapping.EmailVerified),
		Name:          pick(m.Name, DefaultMapping.Name), Avatar: pick(m.Avatar, DefaultMapping.Avatar)}
}

// Connector talks to one provider. Discovery runs on first use and is
// kept once it succeeded, so a provider down at start-up does not keep
// the server from starting.
type Connector struct {
	cfg Config

	mu       sync.Mutex
	provider *gooidc.Provider
}

// New returns the connector.
func New(cfg Config) *Connector {
	cfg.Mapping = cfg.Mapping.withDefaults()
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	return &Connector{cfg: cfg}
}

// IsOIDC reports whether the provider issues ID tokens.
func (c *Connector) IsOIDC() bool { return c.cfg.Issuer != "" }

func (c *Connector) context(ctx context.Context) context.Context {
	return gooidc.ClientContext(context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient), c.cfg.HTTPClient)
}

// discover returns the OIDC provider, running discovery the first time.
func (c *Connector) discover(ctx context.Context) (*gooidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, nil
	}
	p, err := gooidc.NewProvider(c.context(ctx), c.cfg.Issuer)
	if err != nil {
		return nil, callError("discovery", err)
	}
	c.provider = p
	return p, nil
}

// TokenAuth values.
const (
	TokenAuthBasic = "client_secret_basic"
	TokenAuthPost  = "client_secret_post"
)

var authStyles = map[string]oauth2.AuthStyle{TokenAuthBasic: oauth2.AuthStyleInHeader, TokenAuthPost: oauth2.AuthStyleInParams}

// oauth2Config is the code flow's configuration for redirectURI.
func (c *Connector) oauth2Config(ctx context.Context, redirectURI string) (*oauth2.Config, *gooidc.Provider, error) {
	endpoint := oauth2.Endpoint{AuthURL: c.cfg.AuthorizationEndpoint, TokenURL: c.cfg.TokenEndpoint, AuthStyle: authStyles[c.cfg.TokenAuth]}
	var p *gooidc.Provider
	if c.IsOIDC() {
		var err error
		if p, err = c.discover(ctx); err != nil {
			return nil, nil, err
		}
		discovered := p.Endpoint()
		if endpoint.AuthURL == "" {
			endpoint.AuthURL = discovered.AuthURL
		}
		if endpoint.TokenURL == "" {
			endpoint.TokenURL = discovered.TokenURL
		}
	}
	scopes := c.cfg.Scopes
	if c.IsOIDC() && len(scopes) == 0 {
		scopes = []string{gooidc.ScopeOpenID, "email", "profile"}
	}
	return &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, Endpoint: endpoint,
		RedirectURL: redirectURI, Scopes: scopes}, p, nil
}

// AuthorizationURL is where the browser goes to sign in at the provider:
// the code flow with a's state, PKCE S256 from its verifier, and its nonce.
func (c *Connector) AuthorizationURL(ctx context.Context, a connectors.Authorization) (string, error) {
	conf, _, err := c.oauth2Config(ctx, a.RedirectURI)
	if err != nil {
		return "", err
	}
	return conf.AuthCodeURL(a.State, oauth2.S256ChallengeOption(a.Verifier), oauth2.SetAuthURLParam("nonce", a.Nonce)), nil
}

// Exchange trades the code the provider sent back for the user's
// identity, against the authorization a (redirect URI, verifier, nonce).
func (c *Connector) Exchange(ctx context.Context, a connectors.Authorization, code string) (connectors.UserInfo, error) {
	verifier, nonce := a.Verifier, a.Nonce
	conf, p, err := c.oauth2Config(ctx, a.RedirectURI)
	if err != nil {
		return connectors.UserInfo{}, err
	}
	ctx = c.context(ctx)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return connectors.UserInfo{}, callError("token", err)
	}
	if p == nil {
		return c.oauth2UserInfo(ctx, conf, tok)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return connectors.UserInfo{}, idTokenError("the token response has no id_token")
	}
	idToken, err := p.Verifier(&gooidc.Config{ClientID: c.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return connectors.UserInfo{}, idTokenError("%v", err)
	}
	if subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(nonce)) != 1 {
		return connectors.UserInfo{}, idTokenError("the ID token's nonce is not the authorization's")
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
		Phone         string `json:"phone_number"`
		PhoneVerified *bool  `json:"phone_number_verified"`
		Name          string `json:"name"`
		Picture       string `json:"picture"`
	}
	if err := idToken.Claims(&claims); err != nil {
		return connectors.UserInfo{}, idTokenError("claims: %v", err)
	}
	return connectors.UserInfo{ID: idToken.Subject, Issuer: idToken.Issuer, Email: claims.Email, EmailVerified: isTrue(claims.EmailVerified),
		Phone: claims.Phone, PhoneVerified: isTrue(claims.PhoneVerified), Name: claims.Name, Avatar: claims.Picture}, nil
}

func isTrue(b *bool) bool { return b != nil && *b }

// oauth2UserInfo reads the user info endpoint through the mapping.
func (c *Connector) oauth2UserInfo(ctx context.Context, conf *oauth2.Config, tok *oauth2.Token) (connectors.UserInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.UserinfoEndpoint, nil)
	if err != nil {
		return connectors.UserInfo{}, &connectors.Error{Code: connectors.CodeInvalidConfig, Permanent: true, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := conf.Client(ctx, tok).Do(req)
	if err != nil {
		return connectors.UserInfo{}, callError("userinfo", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return connectors.UserInfo{}, callError("userinfo", err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return connectors.UserInfo{}, &connectors.Error{Code: CodeInvalidAccessToken, Permanent: true, Err: fmt.Errorf("userinfo: %s", resp.Status)}
	case resp.StatusCode != http.StatusOK:
		return connectors.UserInfo{}, &connectors.Error{Code: connectors.CodeInvalidResponse, Err: fmt.Errorf("userinfo: %s", resp.Status)}
	}
	var fields map[string]any
	if err := json.Unmarshal(body, &fields); err != nil {
		return connectors.UserInfo{}, &connectors.Error{Code: connectors.CodeInvalidResponse, Permanent: true, Err: fmt.Errorf("userinfo: %v", err)}
	}
	m := c.cfg.Mapping
	info := connectors.UserInfo{ID: field(fields, m.ID), Email: field(fields, m.Email), Name: field(fields, m.Name), Avatar: field(fields, m.Avatar)}
	info.EmailVerified = field(fields, m.EmailVerified) == "true"
	if info.ID == "" {
		return connectors.UserInfo{}, &connectors.Error{Code: connectors.CodeInvalidResponse, Permanent: true,
			Err: fmt.Errorf("userinfo: no %q in the provider's answer", m.ID)}
	}
	return info, nil
}

// field reads a string, number or boolean as text ("" when absent).
func field(fields map[string]any, key string) string {
	switch v := fields[key].(type) {
	case string:
		return v
	case bool, float64:
		return strings.TrimSuffix(fmt.Sprint(v), ".0")
	}
	return ""
}

// Connector codes of the exchange, from the error registry.
var (
	CodeAuthCodeInvalid    = domain.E("connector.social_auth_code_invalid").Code
	CodeInvalidIDToken     = domain.E("connector.social_invalid_id_token").Code
	CodeInvalidAccessToken = domain.E("connector.social_invalid_access_token").Code
)

func idTokenError(format string, args ...any) *connectors.Error {
	return &connectors.Error{Code: CodeInvalidIDToken, Permanent: true, Err: fmt.Errorf("id token: "+format, args...)}
}

// callError classifies a failed provider call: the provider refusing the
// code (4xx from the token endpoint), the provider failing (5xx, a bad
// answer), or no answer in time.
func callError(call string, err error) *connectors.Error {
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500:
		// Not the description: a provider may quote the code in it.
		return &connectors.Error{Code: CodeAuthCodeInvalid, Permanent: true, Err: fmt.Errorf("%s: %s %s", call, re.Response.Status, re.ErrorCode)}
	case errors.As(err, &re):
		return &connectors.Error{Code: connectors.CodeInvalidResponse, Err: fmt.Errorf("%s: %s", call, re.Response.Status)}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return &connectors.Error{Code: connectors.CodeGeneral, Err: fmt.Errorf("%s: no answer in time: %w", call, err)}
	}
	return &connectors.Error{Code: connectors.CodeGeneral, Err: fmt.Errorf("%s: %w", call, err)}
}
