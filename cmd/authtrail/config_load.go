package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/authtrail/authtrail/domain/settings"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

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
		HTTP: HTTPConfig{Addr: "127.0.0.1:3001", PublicURL: "http://localhost:3001",
			ReadTimeout: Duration{30 * time.Second}, IdleTimeout: Duration{30 * time.Second}, MaxConnections: 10000},
		NATS:        NATSConfig{DataDir: "./data", Replicas: 1, SyncAlways: true},
		Interaction: InteractionConfig{TTL: Duration{time.Hour}, ReturnURL: "http://localhost:3000/callback"},
		Log:         LogConfig{Level: "info"}, // Format "": json, or text on a terminal
		Limits: LimitsConfig{
			FailedAttemptsPerIP: RateConfig{Count: 30, Window: Duration{time.Minute}},
			NewRecipientsPerIP:  RateConfig{Count: 20, Window: Duration{time.Hour}},
			TokenRequestsPerIP:  RateConfig{Count: 60, Window: Duration{time.Minute}},
		},
		SignInExperience: sie,
		OIDC:             defaultOIDC(),
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
// ${NAME} and ${NAME:-fallback} are replaced from the environment, then the
// AUTHTRAIL_* variables override single keys (applyEnv). An empty path reads
// no file. Problems of values (an unset variable, a variable naming no key)
// are returned together, as ConfigErrors. Call Validate after applying
// command-line overrides.
func LoadConfig(path string) (Config, error) {
	c, p, err := loadConfig(path, os.Environ())
	if err != nil {
		return Config{}, err
	}
	if err := p.err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// loadConfig is LoadConfig over environ, returning the problems of values
// beside a configuration that holds every other key, so that serve can
// report them with Validate's. err is a problem of the file itself (it
// cannot be read or parsed), after which nothing else is known.
func loadConfig(path string, environ []string) (Config, *problems, error) {
	c := DefaultConfig()
	c.WebAuthn = WebAuthnConfig{} // derived at the end, from the final publicUrl
	p := &problems{}
	if path != "" {
		if err := c.decodeFile(path, p); err != nil {
			return Config{}, nil, err
		}
	}
	c.applyEnv(environ, p)
	c.deriveWebAuthn()
	return c, p, nil
}

func (c *Config) decodeFile(path string, p *problems) error {
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
	body = expandTypedRefs(body, reflect.TypeFor[Config](), p)
	if err := yaml.NodeToValue(body, c, yaml.Strict()); err != nil {
		// Decoding stops at its first error; the references' problems
		// found before it are reported with it.
		p.add(yamlConfigError(path, body, err))
		return p.list
	}
	c.SignInExperience.ApplyDefaults()
	expandEnvRefs(reflect.ValueOf(c).Elem(), "", p)
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
	if t == reflect.TypeFor[Duration]() {
		return "a duration such as 1h or 30m"
	}
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
