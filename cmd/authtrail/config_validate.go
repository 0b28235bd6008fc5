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
	"time"

	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore/embedded"
)

// Validate checks the whole configuration and returns every problem, as
// ConfigErrors of one line each naming its key; nil when there is none.
// Within one entry (a user, a connector) it stops at the entry's first
// problem, since the next ones are often the same mistake seen again.
func (c *Config) Validate() error {
	var p problems
	checks := []func(*problems){
		c.validateHTTP, c.validateNATS, c.Secrets.validate, c.validateInteraction,
		c.Connectors.validate, c.validateWebAuthn, c.MFAAPI.validate, c.validateSignInExperience, c.Limits.validate,
		c.validateObservability, c.validateWebhooks, c.validateOIDC,
	}
	for _, check := range checks {
		check(&p)
	}
	return p.err()
}

func (c *Config) validateHTTP(p *problems) {
	switch _, _, err := net.SplitHostPort(c.HTTP.Addr); {
	case c.HTTP.Addr == "":
		p.addf("http.addr", "missing (want host:port, e.g. 127.0.0.1:3001)")
	case err != nil:
		p.addf("http.addr", "%q is not host:port", c.HTTP.Addr)
	}
	if err := checkConfigURL("http.publicUrl", c.HTTP.PublicURL, true); err != nil {
		p.add(err)
	} else if public, _ := url.Parse(c.HTTP.PublicURL); public.RawQuery != "" || public.Fragment != "" {
		p.addf("http.publicUrl", "%q must not carry a query or fragment", c.HTTP.PublicURL)
	}
	if c.HTTP.ReadTimeout.Duration <= 0 {
		p.addf("http.readTimeout", "must be positive (e.g. 30s)")
	}
	if c.HTTP.IdleTimeout.Duration <= 0 {
		p.addf("http.idleTimeout", "must be positive (e.g. 30s)")
	}
	if c.HTTP.MaxConnections < 1 {
		p.addf("http.maxConnections", "must be at least 1, got %d", c.HTTP.MaxConnections)
	}
	for i, origin := range c.HTTP.AllowedOrigins {
		key := fmt.Sprintf("http.allowedOrigins[%d]", i)
		if err := checkConfigURL(key, origin, true); err != nil {
			p.add(err)
		} else if u, _ := url.Parse(origin); u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			p.addf(key, "%q is not an origin (scheme://host[:port], no trailing slash)", origin)
		}
	}
}

func (c *Config) validateNATS(p *problems) {
	n := c.NATS
	if n.URL != "" {
		for server := range strings.SplitSeq(n.URL, ",") {
			server = strings.TrimSpace(server)
			u, err := url.Parse(server)
			if err != nil || u.Host == "" || !slices.Contains([]string{"nats", "tls", "ws", "wss"}, u.Scheme) {
				p.addf("nats.url", "%q is not a nats://host:port URL", server)
				break
			}
		}
	}
	switch {
	case n.Replicas < 1 || n.Replicas > 5:
		p.addf("nats.replicas", "%d is out of range 1–5", n.Replicas)
	case n.Replicas > 1 && n.URL == "":
		p.addf("nats.replicas", "%d needs a cluster in nats.url; the embedded server is a single node", n.Replicas)
	}
	if n.Listen != "" {
		if n.URL != "" {
			p.addf("nats.listen", "only the embedded server listens; nats.url is set")
		} else if _, _, err := net.SplitHostPort(n.Listen); err != nil {
			p.addf("nats.listen", "%q is not host:port", n.Listen)
		}
	}
	seen := map[string]bool{}
	for i, u := range n.Users {
		key := fmt.Sprintf("nats.users[%d]", i)
		switch {
		case u.User == "":
			p.addf(key+".user", "missing")
		case seen[u.User]:
			p.addf(key+".user", "%q is listed twice", u.User)
		case len(u.Password) < 12:
			p.addf(key+".password", "want at least 12 characters")
		case u.Role != "" && u.Role != embedded.RoleDownstream && u.Role != embedded.RoleAudit:
			p.addf(key+".role", "unknown value %q (want downstream, audit)", u.Role)
		}
		seen[u.User] = true
	}
	if len(n.Users) > 0 && n.Listen == "" {
		p.addf("nats.users", "set nats.listen for them to connect to")
	}
	if n.URL != "" {
		// Generated keys are per machine: behind one load balancer, each
		// process would refuse the others' cookies and codes.
		for _, key := range []struct{ name, env, value string }{
			{"secrets.cookieKey", CookieKeyEnv, c.Secrets.CookieKey},
			{"secrets.encryptionKey", EncryptionKeyEnv, c.Secrets.EncryptionKey},
		} {
			if key.value == "" {
				p.addf(key.name, "required with nats.url: every process on the same NATS must share it (set it, or %s)", key.env)
			}
		}
	}
	if n.DataDir == "" && n.URL == "" {
		p.addf("nats.dataDir", "missing (holds the embedded server's store and generated secrets)")
	}
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

func (s SecretsConfig) validate(p *problems) {
	keys := []struct {
		key, env, value string
		exact, minimum  int
	}{
		{"secrets.cookieKey", CookieKeyEnv, s.CookieKey, 0, 32},
		{"secrets.encryptionKey", EncryptionKeyEnv, s.EncryptionKey, 32, 32},
	}
	for _, k := range keys {
		decoded, err := s.decode(k.value)
		switch {
		case err != nil:
			p.addf(k.key, "not base64 (%v; set in the file or %s)", err, k.env)
		case k.value == "":
		case k.exact > 0 && len(decoded) != k.exact:
			p.addf(k.key, "decodes to %d bytes, want exactly %d (openssl rand -base64 %d)", len(decoded), k.exact, k.exact)
		case len(decoded) < k.minimum:
			p.addf(k.key, "decodes to %d bytes, want at least %d (openssl rand -base64 %d)", len(decoded), k.minimum, k.minimum)
		}
	}
}

func (c *Config) validateInteraction(p *problems) {
	if c.Interaction.TTL.Duration <= 0 {
		p.addf("interaction.ttl", "%s is not positive", c.Interaction.TTL)
	}
	p.add(checkConfigURL("interaction.returnUrl", c.Interaction.ReturnURL, false))
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

// validateWebAuthn checks the relying party, unless http.publicUrl, which
// it is derived from, is already reported: the same mistake seen twice.
func (c *Config) validateWebAuthn(p *problems) {
	if p.hasKey("http.publicUrl") && c.WebAuthn.RPID == "" {
		return
	}
	c.WebAuthn.validate(p)
}

func (w WebAuthnConfig) validate(p *problems) {
	if w.RPID == "" {
		p.addf("webauthn.rpId", "missing")
	}
	if w.RPName == "" {
		p.addf("webauthn.rpName", "missing")
	}
	if len(w.Origins) == 0 {
		p.addf("webauthn.origins", "missing (want e.g. [http://localhost:3001])")
	}
	for i, origin := range w.Origins {
		key := fmt.Sprintf("webauthn.origins[%d]", i)
		if err := checkConfigURL(key, origin, true); err != nil {
			p.add(err)
			continue
		}
		u, _ := url.Parse(origin)
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			p.addf(key, "%q is not an origin (scheme://host[:port])", origin)
			continue
		}
		// Browsers only accept an RP ID equal to the origin's host or a parent domain of it.
		if host := u.Hostname(); w.RPID != "" && host != w.RPID && !strings.HasSuffix(host, "."+w.RPID) {
			p.addf(key, "host %q is not webauthn.rpId %q or a subdomain of it", host, w.RPID)
		}
	}
}

func (m MFAAPIConfig) validate(p *problems) {
	clientIDs := map[string]bool{}
	for i, client := range m.Clients {
		key := fmt.Sprintf("mfaApi.clients[%d]", i)
		switch {
		case client.ClientID == "":
			p.addf(key+".clientId", "missing")
		case clientIDs[client.ClientID]:
			p.addf(key+".clientId", "%q is listed twice", client.ClientID)
		case client.ClientSecret == "":
			p.addf(key+".clientSecret", "missing")
		default:
			p.enum(key+".scope", client.Scope, "authentication_only", "read_users", "manage_users", "read_all", "manage_all")
		}
		clientIDs[client.ClientID] = true
	}
	factorIDs, names := map[int]bool{}, map[string]bool{}
	for i, factor := range m.Factors {
		key := fmt.Sprintf("mfaApi.factors[%d]", i)
		switch {
		case factor.FactorID < 1:
			p.addf(key+".factorId", "%d is not a positive integer", factor.FactorID)
		case factorIDs[factor.FactorID]:
			p.addf(key+".factorId", "%d is listed twice", factor.FactorID)
		case factor.Name == "":
			p.addf(key+".name", "missing")
		case names[factor.Name]:
			p.addf(key+".name", "%q is listed twice", factor.Name)
		case factor.AuthFactorName == "":
			p.addf(key+".authFactorName", "missing")
		default:
			p.enum(key+".kind", factor.Kind, "totp", "sms", "email")
		}
		factorIDs[factor.FactorID], names[factor.Name] = true, true
	}
}

func (c *Config) validateSignInExperience(p *problems) {
	connectors := settings.Connectors{Email: c.Connectors.Email != nil, SMS: c.Connectors.SMS != nil, SSO: len(c.Connectors.SSO) > 0}
	for _, s := range c.Connectors.Social {
		connectors.SocialTargets = append(connectors.SocialTargets, s.Target)
	}
	for _, err := range c.SignInExperience.Problems(connectors) {
		var invalid *settings.ValidationError
		if !errors.As(err, &invalid) {
			p.add(&ConfigError{Message: err.Error(), Err: err})
			continue
		}
		message := invalid.Message
		if invalid.Code != "" {
			message += " (" + invalid.Code + ")"
		}
		p.add(&ConfigError{Key: invalid.Path, Message: message, Err: err})
	}
	// An unreadable breached-password list should stop the start, not the first sign-up.
	rejects := c.SignInExperience.PasswordPolicy.Rejects
	if rejects.Pwned != nil && *rejects.Pwned {
		f, err := os.Open(rejects.BreachedListFile)
		if err != nil {
			p.addf("signInExperience.passwordPolicy.rejects.breachedListFile", "%v", err)
		} else {
			f.Close()
		}
	}
}

func (l LimitsConfig) validate(p *problems) {
	for i, s := range l.TrustedProxies {
		if _, err := parseProxy(s); err != nil {
			p.addf(fmt.Sprintf("limits.trustedProxies[%d]", i), "%q is not an address or CIDR (e.g. 10.0.0.0/8)", s)
		}
	}
	for _, limit := range []struct {
		key string
		r   RateConfig
	}{
		{"limits.failedAttemptsPerIp", l.FailedAttemptsPerIP}, {"limits.newRecipientsPerIp", l.NewRecipientsPerIP},
		{"limits.tokenRequestsPerIp", l.TokenRequestsPerIP},
	} {
		key, r := limit.key, limit.r
		switch {
		case r.Count < 0:
			p.addf(key+".count", "must be 0 (no limit) or more")
		case r.Count > 0 && (r.Window.Duration <= 0 || r.Window.Duration > 24*time.Hour):
			p.addf(key+".window", "must be between 1s and 24h")
		case r.Count > 0 && r.Window.Duration/time.Duration(r.Count) == 0:
			p.addf(key+".count", "is more than one per nanosecond of the window")
		}
	}
}
