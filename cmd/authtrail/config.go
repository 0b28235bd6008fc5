package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/mail"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/authtrail/authtrail/domain/settings"
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
}

type HTTPConfig struct {
	Addr      string `yaml:"addr"`
	PublicURL string `yaml:"publicUrl"`
}

// NATSConfig: an empty URL runs the embedded server with its store in DataDir.
type NATSConfig struct {
	URL        string `yaml:"url"`
	DataDir    string `yaml:"dataDir"`
	Replicas   int    `yaml:"replicas"`
	SyncAlways bool   `yaml:"syncAlways"`
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
	SyncProfile           bool     `yaml:"syncProfile"`
}

type SSOConnectorConfig struct {
	ID            string         `yaml:"id"`
	Type          string         `yaml:"type"` // oidc | saml
	ConnectorName string         `yaml:"connectorName"`
	Domains       []string       `yaml:"domains"`
	OIDC          *SSOOIDCConfig `yaml:"oidc"`
	SAML          *SSOSAMLConfig `yaml:"saml"`
	SyncProfile   bool           `yaml:"syncProfile"`
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
	EntityID       string `yaml:"entityId"`
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

// Duration reads YAML strings such as "1h" or "30m" (time.ParseDuration).
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalYAML(node ast.Node) error {
	if str, ok := node.(*ast.StringNode); ok {
		if parsed, err := time.ParseDuration(str.Value); err == nil {
			d.Duration = parsed
			return nil
		}
	}
	return configErrorf(configKeyOf(node), "%q is not a duration such as 1h or 30m", node.String())
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// ConfigError is the one-line error the server prints before exiting.
type ConfigError struct {
	Key     string // e.g. signInExperience.signUp.identifiers[0]; empty for file-level errors
	Message string
	Err     error // the underlying error, if any
}

func (e *ConfigError) Error() string {
	if e.Key == "" {
		return "config: " + e.Message
	}
	return "config: " + e.Key + ": " + e.Message
}

func (e *ConfigError) Unwrap() error { return e.Err }

func configErrorf(key, format string, args ...any) *ConfigError {
	return &ConfigError{Key: key, Message: fmt.Sprintf(format, args...)}
}

// DefaultConfig is the no-config-file setup: embedded NATS in ./data, HTTP on
// 127.0.0.1:3001, the demo sign-in experience, and console connectors that
// print email and SMS codes to the log.
func DefaultConfig() Config {
	sie := settings.Default()
	sie.ApplyDefaults()
	c := Config{
		HTTP:             HTTPConfig{Addr: "127.0.0.1:3001", PublicURL: "http://localhost:3001"},
		NATS:             NATSConfig{DataDir: "./data", Replicas: 1, SyncAlways: true},
		Interaction:      InteractionConfig{TTL: Duration{time.Hour}, ReturnURL: "http://localhost:3000/callback"},
		SignInExperience: sie,
		Connectors: ConnectorsConfig{
			Email: &EmailConnectorConfig{Type: "console"},
			SMS:   &SMSConnectorConfig{Type: "console"},
		},
		MFAAPI: MFAAPIConfig{Factors: []MFAFactor{
			{FactorID: 1, Name: "Authenticator", AuthFactorName: "Google Authenticator", Kind: "totp"},
			{FactorID: 2, Name: "OneLogin SMS", AuthFactorName: "SMS", Kind: "sms"},
			{FactorID: 3, Name: "OneLogin Email", AuthFactorName: "OneLogin Email", Kind: "email"},
		}},
	}
	c.deriveWebAuthn()
	return c
}

// deriveWebAuthn fills the empty webauthn fields from http.publicUrl.
func (c *Config) deriveWebAuthn() {
	if c.WebAuthn.RPName == "" {
		c.WebAuthn.RPName = "authtrail"
	}
	public, err := url.Parse(c.HTTP.PublicURL)
	if err != nil || public.Host == "" {
		return // Validate reports http.publicUrl
	}
	if c.WebAuthn.RPID == "" {
		c.WebAuthn.RPID = public.Hostname()
	}
	if len(c.WebAuthn.Origins) == 0 {
		c.WebAuthn.Origins = []string{public.Scheme + "://" + public.Host}
	}
}

// LoadConfig reads the YAML file at path over DefaultConfig: keys it omits keep
// their defaults, lists replace the default list, and a connectors section
// replaces the default console connectors as a whole. Unknown keys are errors.
// ${NAME} and ${NAME:-fallback} in string values are replaced from the
// environment, then AUTHTRAIL_COOKIE_KEY and AUTHTRAIL_ENCRYPTION_KEY override
// the secrets. An empty path reads no file. Call Validate after applying
// command-line overrides.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if path != "" {
		if err := c.decodeFile(path); err != nil {
			return Config{}, err
		}
	}
	for env, secret := range map[string]*string{CookieKeyEnv: &c.Secrets.CookieKey, EncryptionKeyEnv: &c.Secrets.EncryptionKey} {
		if value := os.Getenv(env); value != "" {
			*secret = value
		}
	}
	return c, nil
}

func (c *Config) decodeFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		return &ConfigError{Message: fmt.Sprintf("read %s: %v", path, err), Err: err}
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return yamlConfigError(path, nil, err)
	}
	if len(file.Docs) > 1 {
		return configErrorf("", "%s: holds %d YAML documents, want one", path, len(file.Docs))
	}
	var body ast.Node
	if len(file.Docs) == 1 {
		body = file.Docs[0].Body
	}
	if body == nil {
		return nil // empty or comments only: the defaults
	}
	if mapping, ok := body.(*ast.MappingNode); ok && slices.ContainsFunc(mapping.Values, func(v *ast.MappingValueNode) bool {
		key, isString := v.Key.(*ast.StringNode)
		return isString && key.Value == "connectors"
	}) {
		c.Connectors = ConnectorsConfig{} // the file lists exactly the connectors it wants
	}
	c.WebAuthn = WebAuthnConfig{} // derived below from the file's publicUrl
	if err := yaml.NodeToValue(body, c, yaml.Strict()); err != nil {
		return yamlConfigError(path, body, err)
	}
	c.SignInExperience.ApplyDefaults()
	if err := expandEnvRefs(reflect.ValueOf(c).Elem(), ""); err != nil {
		return err
	}
	c.deriveWebAuthn()
	return nil
}

// yamlConfigError turns a go-yaml error into one line naming the key and
// the file position.
func yamlConfigError(path string, body ast.Node, err error) error {
	var configErr *ConfigError
	if errors.As(err, &configErr) {
		return configErr
	}
	var yamlErr yaml.Error
	if !errors.As(err, &yamlErr) {
		return &ConfigError{Message: fmt.Sprintf("%s: %v", path, err), Err: err}
	}
	where, tok := path, yamlErr.GetToken()
	if tok != nil {
		where = fmt.Sprintf("%s:%d:%d", path, tok.Position.Line, tok.Position.Column)
	}
	message := strings.ReplaceAll(yamlErr.GetMessage(), "\n", " ")
	var unknownErr *yaml.UnknownFieldError
	var typeErr *yaml.TypeError
	switch {
	case errors.As(err, &unknownErr):
		message = "unknown key"
	case errors.As(err, &typeErr) && tok != nil:
		message = fmt.Sprintf("%q is not %s", tok.Value, yamlKindName(typeErr.DstType))
	}
	key := ""
	if body != nil && tok != nil {
		ast.Walk(configNodeVisitor(func(n ast.Node) {
			if key == "" && n.GetToken() == tok {
				key = configKeyOf(n)
			}
		}), body)
	}
	if key == "" {
		return &ConfigError{Message: where + ": " + message, Err: err}
	}
	return &ConfigError{Key: key, Message: message + " (" + where + ")", Err: err}
}

type configNodeVisitor func(ast.Node)

func (v configNodeVisitor) Visit(n ast.Node) ast.Visitor { v(n); return v }

// configKeyOf turns a node's YAML path ($.http.addr) into a key path (http.addr).
func configKeyOf(n ast.Node) string {
	return strings.TrimPrefix(strings.TrimPrefix(n.GetPath(), "$"), ".")
}

func yamlKindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "a mapping"
	}
	return "a string"
}

var envRefPattern = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// expandEnvRefs replaces ${NAME} and ${NAME:-fallback} in every string value
// under v; key is v's key path, for the error on an unset variable.
func expandEnvRefs(v reflect.Value, key string) error {
	switch v.Kind() {
	case reflect.String:
		expanded, err := expandEnvString(v.String())
		if err != nil {
			return configErrorf(key, "%v", err)
		}
		v.SetString(expanded)
	case reflect.Pointer:
		if !v.IsNil() {
			return expandEnvRefs(v.Elem(), key)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			field := v.Type().Field(i)
			if !field.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(field.Tag.Get("yaml"), ",")
			if err := expandEnvRefs(v.Field(i), strings.TrimPrefix(key+"."+name, ".")); err != nil {
				return err
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			if err := expandEnvRefs(v.Index(i), fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.String {
			return nil
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			expanded, err := expandEnvString(v.MapIndex(k).String())
			if err != nil {
				return configErrorf(key+"."+k.String(), "%v", err)
			}
			v.SetMapIndex(k, reflect.ValueOf(expanded).Convert(v.Type().Elem()))
		}
	}
	return nil
}

func expandEnvString(s string) (string, error) {
	var missing []string
	expanded := envRefPattern.ReplaceAllStringFunc(s, func(ref string) string {
		match := envRefPattern.FindStringSubmatch(ref)
		value, set := os.LookupEnv(match[1])
		hasFallback := strings.Contains(ref, ":-")
		switch {
		case hasFallback && value == "":
			return match[2]
		case !set:
			missing = append(missing, match[1])
		}
		return value
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", strings.Join(missing, ", "))
	}
	return expanded, nil
}

// Validate checks the whole configuration and returns the first problem as a
// one-line *ConfigError naming the key.
func (c *Config) Validate() error {
	checks := []func() error{
		c.validateHTTP, c.validateNATS, c.Secrets.validate, c.validateInteraction,
		c.Connectors.validate, c.WebAuthn.validate, c.MFAAPI.validate, c.validateSignInExperience,
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

func (cc ConnectorsConfig) validate() error {
	if err := cc.Email.validate(); err != nil {
		return err
	}
	if err := cc.SMS.validate(); err != nil {
		return err
	}
	ids, targets := map[string]string{}, map[string]string{}
	for i, social := range cc.Social {
		if err := social.validate(fmt.Sprintf("connectors.social[%d]", i), ids, targets); err != nil {
			return err
		}
	}
	ids = map[string]string{}
	for i, sso := range cc.SSO {
		if err := sso.validate(fmt.Sprintf("connectors.sso[%d]", i), ids); err != nil {
			return err
		}
	}
	return nil
}

func (e *EmailConnectorConfig) validate() error {
	if e == nil {
		return nil
	}
	if err := checkConfigEnum("connectors.email.type", e.Type, "smtp", "console"); err != nil {
		return err
	}
	if e.Type == "console" {
		if e.SMTP != nil {
			return configErrorf("connectors.email.smtp", "only used with type smtp")
		}
		return nil
	}
	if e.SMTP == nil {
		return configErrorf("connectors.email.smtp", "missing (required with type smtp)")
	}
	s := e.SMTP
	if s.Host == "" {
		return configErrorf("connectors.email.smtp.host", "missing")
	}
	if s.Port < 1 || s.Port > 65535 {
		return configErrorf("connectors.email.smtp.port", "%d is not a TCP port", s.Port)
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return configErrorf("connectors.email.smtp.from", "%q is not an email address", s.From)
	}
	return checkConfigEnum("connectors.email.smtp.tls", s.TLS, "none", "starttls", "implicit")
}

func (s *SMSConnectorConfig) validate() error {
	if s == nil {
		return nil
	}
	if err := checkConfigEnum("connectors.sms.type", s.Type, "http", "console"); err != nil {
		return err
	}
	if s.Type == "console" {
		if s.HTTP != nil {
			return configErrorf("connectors.sms.http", "only used with type http")
		}
		return nil
	}
	if s.HTTP == nil {
		return configErrorf("connectors.sms.http", "missing (required with type http)")
	}
	for name := range s.HTTP.Headers {
		if name == "" || strings.ContainsAny(name, " :\r\n") {
			return configErrorf("connectors.sms.http.headers", "%q is not a header name", name)
		}
	}
	return checkConfigURL("connectors.sms.http.url", s.HTTP.URL, true)
}

// connectorIDPattern keeps ids safe inside API paths (/social/{connectorId}).
var connectorIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// checkConnectorID requires a path-safe id not used earlier in the same list.
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
	if s.SAML.IDPMetadataURL != "" {
		return checkConfigURL(key+".saml.idpMetadataUrl", s.SAML.IDPMetadataURL, true)
	}
	return nil
}

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
