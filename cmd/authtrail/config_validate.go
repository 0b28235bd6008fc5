package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore/embedded"
)

// Validate checks the whole configuration and returns the first problem as a
// one-line *ConfigError naming the key.
func (c *Config) Validate() error {
	checks := []func() error{
		c.validateHTTP, c.validateNATS, c.Secrets.validate, c.validateInteraction,
		c.Connectors.validate, c.WebAuthn.validate, c.MFAAPI.validate, c.validateSignInExperience, c.Limits.validate,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateHTTP() error {
	if c.HTTP.Addr == "" {
		return configErrorf("http.addr", "missing (want host:port, e.g. 127.0.0.1:3001)")
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		return configErrorf("http.addr", "%q is not host:port", c.HTTP.Addr)
	}
	if err := checkConfigURL("http.publicUrl", c.HTTP.PublicURL, true); err != nil {
		return err
	}
	if public, _ := url.Parse(c.HTTP.PublicURL); public.RawQuery != "" || public.Fragment != "" {
		return configErrorf("http.publicUrl", "%q must not carry a query or fragment", c.HTTP.PublicURL)
	}
	return nil
}

func (c *Config) validateNATS() error {
	n := c.NATS
	if n.URL != "" {
		for server := range strings.SplitSeq(n.URL, ",") {
			server = strings.TrimSpace(server)
			u, err := url.Parse(server)
			if err != nil || u.Host == "" || !slices.Contains([]string{"nats", "tls", "ws", "wss"}, u.Scheme) {
				return configErrorf("nats.url", "%q is not a nats://host:port URL", server)
			}
		}
	}
	if n.Replicas < 1 || n.Replicas > 5 {
		return configErrorf("nats.replicas", "%d is out of range 1–5", n.Replicas)
	}
	if n.Replicas > 1 && n.URL == "" {
		return configErrorf("nats.replicas", "%d needs a cluster in nats.url; the embedded server is a single node", n.Replicas)
	}
	if n.Listen != "" {
		if n.URL != "" {
			return configErrorf("nats.listen", "only the embedded server listens; nats.url is set")
		}
		if _, _, err := net.SplitHostPort(n.Listen); err != nil {
			return configErrorf("nats.listen", "%q is not host:port", n.Listen)
		}
	}
	seen := map[string]bool{}
	for i, u := range n.Users {
		key := fmt.Sprintf("nats.users[%d]", i)
		switch {
		case u.User == "":
			return configErrorf(key+".user", "missing")
		case seen[u.User]:
			return configErrorf(key+".user", "%q is listed twice", u.User)
		case len(u.Password) < 12:
			return configErrorf(key+".password", "want at least 12 characters")
		case u.Role != "" && u.Role != embedded.RoleDownstream && u.Role != embedded.RoleAudit:
			return configErrorf(key+".role", "unknown value %q (want downstream, audit)", u.Role)
		}
		seen[u.User] = true
	}
	if len(n.Users) > 0 && n.Listen == "" {
		return configErrorf("nats.users", "set nats.listen for them to connect to")
	}
	needsDataDir := n.URL == "" || c.Secrets.CookieKey == "" || c.Secrets.EncryptionKey == ""
	if n.DataDir == "" && needsDataDir {
		return configErrorf("nats.dataDir", "missing (holds the embedded server's store and generated secrets)")
	}
	return nil
}

// decodeConfigKey accepts standard or URL-safe base64, padded or not.
func decodeConfigKey(encoded string) ([]byte, error) {
	var firstErr error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		key, err := enc.DecodeString(encoded)
		if err == nil {
			return key, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// CookieKeyBytes decodes secrets.cookieKey; nil when it is empty.
func (s SecretsConfig) CookieKeyBytes() ([]byte, error) { return s.decode(s.CookieKey) }

// EncryptionKeyBytes decodes secrets.encryptionKey; nil when it is empty.
func (s SecretsConfig) EncryptionKeyBytes() ([]byte, error) { return s.decode(s.EncryptionKey) }

func (SecretsConfig) decode(encoded string) ([]byte, error) {
	if encoded == "" {
		return nil, nil
	}
	return decodeConfigKey(encoded)
}

func (s SecretsConfig) validate() error {
	keys := []struct {
		key, env, value string
		exact, minimum  int
	}{
		{"secrets.cookieKey", CookieKeyEnv, s.CookieKey, 0, 32},
		{"secrets.encryptionKey", EncryptionKeyEnv, s.EncryptionKey, 32, 32},
	}
	for _, k := range keys {
		decoded, err := s.decode(k.value)
		if err != nil {
			return configErrorf(k.key, "not base64 (%v; set in the file or %s)", err, k.env)
		}
		if k.value == "" {
			continue
		}
		if k.exact > 0 && len(decoded) != k.exact {
			return configErrorf(k.key, "decodes to %d bytes, want exactly %d (openssl rand -base64 %d)", len(decoded), k.exact, k.exact)
		}
		if len(decoded) < k.minimum {
			return configErrorf(k.key, "decodes to %d bytes, want at least %d (openssl rand -base64 %d)", len(decoded), k.minimum, k.minimum)
		}
	}
	return nil
}

func (c *Config) validateInteraction() error {
	if c.Interaction.TTL.Duration <= 0 {
		return configErrorf("interaction.ttl", "%s is not positive", c.Interaction.TTL)
	}
	return checkConfigURL("interaction.returnUrl", c.Interaction.ReturnURL, false)
}

// checkConfigURL requires an absolute URL; http(s) when httpOnly, and a host
// for http(s) in any case. A custom scheme (native app callback) passes when
// !httpOnly.
func checkConfigURL(key, raw string, httpOnly bool) error {
	if raw == "" {
		return configErrorf(key, "missing (want an absolute URL)")
	}
	u, err := url.Parse(raw)
	isHTTP := err == nil && (u.Scheme == "http" || u.Scheme == "https")
	if err != nil || u.Scheme == "" || (httpOnly && !isHTTP) || (isHTTP && u.Host == "") {
		want := "an absolute URL"
		if httpOnly {
			want = "an absolute http(s) URL"
		}
		return configErrorf(key, "%q is not %s", raw, want)
	}
	return nil
}

func checkConfigEnum(key, value string, allowed ...string) error {
	if slices.Contains(allowed, value) {
		return nil
	}
	if value == "" {
		return configErrorf(key, "missing (want %s)", strings.Join(allowed, ", "))
	}
	return configErrorf(key, "unknown value %q (want %s)", value, strings.Join(allowed, ", "))
}

func (w WebAuthnConfig) validate() error {
	if w.RPID == "" {
		return configErrorf("webauthn.rpId", "missing")
	}
	if w.RPName == "" {
		return configErrorf("webauthn.rpName", "missing")
	}
	if len(w.Origins) == 0 {
		return configErrorf("webauthn.origins", "missing (want e.g. [http://localhost:3001])")
	}
	for i, origin := range w.Origins {
		key := fmt.Sprintf("webauthn.origins[%d]", i)
		if err := checkConfigURL(key, origin, true); err != nil {
			return err
		}
		u, _ := url.Parse(origin)
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			return configErrorf(key, "%q is not an origin (scheme://host[:port])", origin)
		}
		// Browsers only accept an RP ID equal to the origin's host or a parent domain of it.
		if host := u.Hostname(); host != w.RPID && !strings.HasSuffix(host, "."+w.RPID) {
			return configErrorf(key, "host %q is not webauthn.rpId %q or a subdomain of it", host, w.RPID)
		}
	}
	return nil
}

func (m MFAAPIConfig) validate() error {
	clientIDs := map[string]bool{}
	for i, client := range m.Clients {
		key := fmt.Sprintf("mfaApi.clients[%d]", i)
		switch {
		case client.ClientID == "":
			return configErrorf(key+".clientId", "missing")
		case clientIDs[client.ClientID]:
			return configErrorf(key+".clientId", "%q is listed twice", client.ClientID)
		case client.ClientSecret == "":
			return configErrorf(key+".clientSecret", "missing")
		}
		clientIDs[client.ClientID] = true
		if err := checkConfigEnum(key+".scope", client.Scope,
			"authentication_only", "read_users", "manage_users", "read_all", "manage_all"); err != nil {
			return err
		}
	}
	factorIDs, names := map[int]bool{}, map[string]bool{}
	for i, factor := range m.Factors {
		key := fmt.Sprintf("mfaApi.factors[%d]", i)
		switch {
		case factor.FactorID < 1:
			return configErrorf(key+".factorId", "%d is not a positive integer", factor.FactorID)
		case factorIDs[factor.FactorID]:
			return configErrorf(key+".factorId", "%d is listed twice", factor.FactorID)
		case factor.Name == "":
			return configErrorf(key+".name", "missing")
		case names[factor.Name]:
			return configErrorf(key+".name", "%q is listed twice", factor.Name)
		case factor.AuthFactorName == "":
			return configErrorf(key+".authFactorName", "missing")
		}
		factorIDs[factor.FactorID], names[factor.Name] = true, true
		if err := checkConfigEnum(key+".kind", factor.Kind, "totp", "sms", "email"); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateSignInExperience() error {
	connectors := settings.Connectors{Email: c.Connectors.Email != nil, SMS: c.Connectors.SMS != nil}
	if err := c.SignInExperience.Validate(connectors); err != nil {
		var invalid *settings.ValidationError
		if !errors.As(err, &invalid) {
			return &ConfigError{Message: err.Error(), Err: err}
		}
		message := invalid.Message
		if invalid.Code != "" {
			message += " (" + invalid.Code + ")"
		}
		return &ConfigError{Key: invalid.Path, Message: message, Err: err}
	}
	// An unreadable breached-password list should stop the start, not the first sign-up.
	rejects := c.SignInExperience.PasswordPolicy.Rejects
	if rejects.Pwned != nil && *rejects.Pwned {
		f, err := os.Open(rejects.BreachedListFile)
		if err != nil {
			return configErrorf("signInExperience.passwordPolicy.rejects.breachedListFile", "%v", err)
		}
		f.Close()
	}
	return nil
}

func (l LimitsConfig) validate() error {
	for i, s := range l.TrustedProxies {
		if _, err := parseProxy(s); err != nil {
			return configErrorf(fmt.Sprintf("limits.trustedProxies[%d]", i), "%q is not an address or CIDR (e.g. 10.0.0.0/8)", s)
		}
	}
	return nil
}
