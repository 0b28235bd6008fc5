package main

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain/settings"
)

const exampleConfigFile = "../../config.example.yaml"

// writeConfig writes content to a temporary config file and returns its path.
func writeConfigFixture(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "authtrail.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadAndValidate returns the first error of LoadConfig then Validate.
func loadAndValidateConfig(path string) (Config, error) {
	c, err := LoadConfig(path)
	if err != nil {
		return c, err
	}
	return c, c.Validate()
}

func zeroBase64Key(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }

// sharedSecrets are the keys every process on an external NATS shares.
var sharedSecrets = "secrets: {cookieKey: \"" + zeroBase64Key(32) + "\", encryptionKey: \"" + zeroBase64Key(32) + "\"}\n"

// unsetSecretEnv keeps the caller's environment from overriding the file's secrets.
func unsetSecretEnv(t *testing.T) {
	t.Setenv(CookieKeyEnv, "")
	t.Setenv(EncryptionKeyEnv, "")
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	checks := map[string][2]any{
		"http.addr":             {c.HTTP.Addr, "127.0.0.1:3001"},
		"http.publicUrl":        {c.HTTP.PublicURL, "http://localhost:3001"},
		"nats.dataDir":          {c.NATS.DataDir, "./data"},
		"nats.replicas":         {c.NATS.Replicas, 1},
		"nats.syncAlways":       {c.NATS.SyncAlways, true},
		"interaction.ttl":       {c.Interaction.TTL.Duration, time.Hour},
		"returnUrl":             {c.Interaction.ReturnURL, "http://localhost:3000/callback"},
		"email type":            {c.Connectors.Email.Type, "console"},
		"sms type":              {c.Connectors.SMS.Type, "console"},
		"webauthn.rpId":         {c.WebAuthn.RPID, "localhost"},
		"webauthn.origins":      {strings.Join(c.WebAuthn.Origins, ","), "http://localhost:3001"},
		"signInMode":            {c.SignInExperience.SignInMode, settings.ModeSignInAndRegister},
		"password length.min":   {c.SignInExperience.PasswordPolicy.Length.Min, 8},
		"forgotPasswordMethods": {c.SignInExperience.ForgotPasswordMethods == nil, true},
		"mfaApi.factors":        {len(c.MFAAPI.Factors), 3},
		"oidc.clients":          {len(c.OIDC.Clients), 1},
		"oidc demo client":      {c.OIDC.Clients[0].ClientID + " " + c.OIDC.Clients[0].RedirectURIs[0], "demo http://localhost:3000/callback"},
	}
	for name, check := range checks {
		if check[0] != check[1] {
			t.Errorf("%s = %v, want %v", name, check[0], check[1])
		}
	}
}

func TestLoadConfigExample(t *testing.T) {
	unsetSecretEnv(t)
	c, err := loadAndValidateConfig(exampleConfigFile)
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	if c.Connectors.Email == nil || c.Connectors.Email.Type != "smtp" || c.Connectors.Email.SMTP.Port != 2525 {
		t.Errorf("connectors.email = %+v, want the smtp connector on port 2525", c.Connectors.Email)
	}
	if c.Connectors.SMS == nil || c.Connectors.SMS.Type != "http" {
		t.Errorf("connectors.sms = %+v, want the http connector", c.Connectors.SMS)
	}
	if len(c.Connectors.Social) == 0 || len(c.Connectors.SSO) < 2 || len(c.MFAAPI.Clients) == 0 {
		t.Errorf("example should show social, oidc and saml SSO connectors and an MFA API client")
	}
	if got := c.SignInExperience.SignUp.Identifiers; len(got) != 1 || got[0] != settings.IdentifierEmail {
		t.Errorf("signUp.identifiers = %v, want [email]", got)
	}
}

func TestLoadConfigEmptyPathIsDefault(t *testing.T) {
	unsetSecretEnv(t)
	c, err := LoadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, DefaultConfig()) {
		t.Errorf("LoadConfig(\"\") differs from DefaultConfig()")
	}
}

func TestLoadConfigMergesOverDefaults(t *testing.T) {
	unsetSecretEnv(t)
	c, err := loadAndValidateConfig(writeConfigFixture(t, "http:\n  addr: \":8080\"\nsignInExperience:\n  forgotPasswordMethods: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Addr != ":8080" || c.HTTP.PublicURL != "http://localhost:3001" {
		t.Errorf("http = %+v, want addr replaced and publicUrl kept", c.HTTP)
	}
	if c.Connectors.Email == nil || c.Connectors.SMS == nil {
		t.Errorf("a file without a connectors section keeps the console connectors")
	}
	if m := c.SignInExperience.ForgotPasswordMethods; m == nil || len(m) != 0 {
		t.Errorf("forgotPasswordMethods = %#v, want an empty, non-nil list", m)
	}
	if c.SignInExperience.SignUp.Identifiers[0] != settings.IdentifierUsername {
		t.Errorf("signInExperience keys the file omits keep their defaults")
	}
}

func TestLoadConfigConnectorsSectionReplacesDefaults(t *testing.T) {
	unsetSecretEnv(t)
	c, err := loadAndValidateConfig(writeConfigFixture(t, "connectors:\n  sms: {type: console}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Connectors.Email != nil || c.Connectors.SMS == nil {
		t.Errorf("connectors = %+v, want SMS only: an omitted email means no email connector", c.Connectors)
	}
}

func TestLoadConfigDerivesWebAuthnFromPublicURL(t *testing.T) {
	unsetSecretEnv(t)
	c, err := loadAndValidateConfig(writeConfigFixture(t, "http: {publicUrl: \"https://auth.example.com\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := WebAuthnConfig{RPID: "auth.example.com", RPName: "authtrail", Origins: []string{"https://auth.example.com"}}
	if !reflect.DeepEqual(c.WebAuthn, want) {
		t.Errorf("webauthn = %+v, want %+v", c.WebAuthn, want)
	}
}

func TestConfigErrors(t *testing.T) {
	unsetSecretEnv(t)
	tests := []struct {
		name    string
		content string
		want    string // the error must start with it; FILE stands for the file's path
	}{
		{"unknown top-level key", "htp:\n  addr: x\n", "config: htp: unknown key (FILE:1:1)"},
		{"unknown nested key", "http:\n  addr: x\n  adress: y\n", "config: http.adress: unknown key (FILE:3:3)"},
		{"unknown key in a list", "connectors:\n  social:\n    - {id: g, secret: x}\n", "config: connectors.social[0].secret: unknown key"},
		{"unknown SIE key", "signInExperience:\n  signUp: {identifier: [email]}\n", "config: signInExperience.signUp.identifier: unknown key"},
		{"wrong type", "nats: {replicas: many}\n", `config: nats.replicas: "many" is not an integer`},
		{"list for a mapping", "http: [a]\n", "config: http: sequence was used where mapping is expected"},
		{"bad duration", "interaction: {ttl: soon}\n", `config: interaction.ttl: "soon" is not a duration such as 1h or 30m`},
		{"number for a duration", "interaction: {ttl: 3600}\n", `config: interaction.ttl: "3600" is not a duration`},
		{"syntax error", "http: [\n", "config: FILE:1:"},
		{"two documents", "http: {}\n---\nnats: {}\n", "config: FILE: holds 2 YAML documents, want one"},
		{"bad SIE enum", "signInExperience:\n  signUp: {identifiers: [mail]}\n",
			`config: signInExperience.signUp.identifiers[0]: unknown value "mail" (want username, email, phone)`},
		{"broken SIE rule", "connectors: {sms: {type: console}}\nsignInExperience:\n  signUp: {identifiers: [email], verify: true}\n",
			"config: signInExperience.signUp.identifiers[0]: \"email\" needs an email connector (connectors.email) (sign_in_experiences.enabled_connector_not_found)"},
		{"captcha", "signInExperience: {captchaPolicy: {enabled: true}}\n", "config: signInExperience.captchaPolicy.enabled: captcha is not supported"},
		{"pwned list unreadable", "signInExperience:\n  passwordPolicy: {rejects: {pwned: true, breachedListFile: /nonexistent/list.txt}}\n",
			"config: signInExperience.passwordPolicy.rejects.breachedListFile: open /nonexistent/list.txt"},
		{"empty addr", "http: {addr: \"\"}\n", "config: http.addr: missing"},
		{"bad public URL", "http: {publicUrl: \"localhost:3001\"}\n", "config: http.publicUrl:"},
		{"replicas range", "nats: {replicas: 7}\n", "config: nats.replicas: 7 is out of range 1–5"},
		{"replicas on embedded", "nats: {replicas: 3}\n", "config: nats.replicas: 3 needs a cluster"},
		{"bad nats url", "nats: {url: \"http://x:4222\"}\n" + sharedSecrets, "config: nats.url:"},
		{"nats url without secrets", "nats: {url: \"nats://x:4222\"}\nsecrets: {cookieKey: \"" + zeroBase64Key(32) + "\"}\n",
			"config: secrets.encryptionKey: required with nats.url: every process on the same NATS must share it"},
		{"zero ttl", "interaction: {ttl: 0s}\n", "config: interaction.ttl: 0s is not positive"},
		{"bad base64", "secrets: {cookieKey: \"not base64!\"}\n", "config: secrets.cookieKey: not base64"},
		{"short cookie key", "secrets: {cookieKey: \"" + zeroBase64Key(16) + "\"}\n", "config: secrets.cookieKey: decodes to 16 bytes, want at least 32"},
		{"encryption key length", "secrets: {encryptionKey: \"" + zeroBase64Key(48) + "\"}\n", "config: secrets.encryptionKey: decodes to 48 bytes, want exactly 32"},
		{"email connector enum", "connectors: {email: {type: sendgrid}}\n", `config: connectors.email.type: unknown value "sendgrid" (want smtp, console)`},
		{"smtp section missing", "connectors: {email: {type: smtp}}\n", "config: connectors.email.smtp: missing"},
		{"smtp tls enum", "connectors: {email: {type: smtp, smtp: {host: h, port: 25, from: a@b.c, tls: ssl}}}\n", `config: connectors.email.smtp.tls: unknown value "ssl"`},
		{"console with smtp", "connectors: {email: {type: console, smtp: {host: h}}}\n", "config: connectors.email.smtp: only used with type smtp"},
		{"sms connector enum", "connectors: {sms: {type: twilio}}\n", `config: connectors.sms.type: unknown value "twilio" (want http, console)`},
		{"sms url", "connectors: {sms: {type: http, http: {url: \"/sms\"}}}\n", "config: connectors.sms.http.url:"},
		{"social type", "connectors: {social: [{id: g, type: saml, target: google, clientId: c}]}\n", `config: connectors.social[0].type: unknown value "saml" (want oidc, oauth2)`},
		{"social oidc issuer", "connectors: {social: [{id: g, type: oidc, target: google, clientId: c}]}\n", "config: connectors.social[0].issuer: missing"},
		{"social id reused", "connectors: {social: [{id: g, type: oidc, target: a, clientId: c, issuer: \"https://a\"}, {id: g, type: oidc, target: b, clientId: c, issuer: \"https://b\"}]}\n",
			`config: connectors.social[1].id: "g" is already used by connectors.social[0]`},
		{"social and sso share ids", "connectors: {social: [{id: acme, type: oidc, target: a, clientId: c, issuer: \"https://a\"}], sso: [{id: acme, type: oidc, connectorName: Acme, oidc: {issuer: \"https://a\", clientId: c}}]}\n",
			`config: connectors.sso[0].id: "acme" is already used by connectors.social[0]`},
		{"social token auth", "connectors: {social: [{id: g, type: oidc, target: a, clientId: c, issuer: \"https://a\", tokenEndpointAuthMethod: private_key_jwt}]}\n",
			`config: connectors.social[0].tokenEndpointAuthMethod: unknown value "private_key_jwt" (want client_secret_basic, client_secret_post)`},
		{"social mapping key", "connectors: {social: [{id: gh, type: oauth2, target: github, clientId: c, authorizationEndpoint: \"https://a\", tokenEndpoint: \"https://a\", userinfoEndpoint: \"https://a\", userInfoMapping: {uid: id}}]}\n",
			`config: connectors.social[0].userInfoMapping: "uid" is not one of id, email, emailVerified, name, avatar`},
		{"social mapping for oidc", "connectors: {social: [{id: g, type: oidc, target: a, clientId: c, issuer: \"https://a\", userInfoMapping: {id: sub}}]}\n",
			"config: connectors.social[0].userInfoMapping: only used with type oauth2"},
		{"oauth2 endpoints", "connectors: {social: [{id: gh, type: oauth2, target: github, clientId: c, authorizationEndpoint: \"https://a\"}]}\n",
			"config: connectors.social[0].tokenEndpoint: missing"},
		{"sso type", "connectors: {sso: [{id: acme, type: ldap, connectorName: Acme}]}\n", `config: connectors.sso[0].type: unknown value "ldap" (want oidc, saml)`},
		{"oidc client type", "oidc: {clients: [{clientId: a, type: web, redirectUris: [\"https://a/cb\"], scopes: [openid]}]}\n",
			`config: oidc.clients[0].type: unknown value "web" (want spa, native or traditional)`},
		{"oidc secret for a public client", "oidc: {clients: [{clientId: a, type: spa, clientSecret: s, redirectUris: [\"https://a/cb\"], scopes: [openid]}]}\n",
			"config: oidc.clients[0].clientSecret: required for a traditional client, and only for one"},
		{"oidc http redirect", "oidc: {clients: [{clientId: a, type: spa, redirectUris: [\"http://app.example.com/cb\"], scopes: [openid]}]}\n",
			`config: oidc.clients[0].redirectUris[0]: "http://app.example.com/cb": http only for localhost`},
		{"oidc duplicate client", "oidc: {clients: [{clientId: a, type: spa, redirectUris: [\"https://a/cb\"], scopes: [openid]}, {clientId: a, type: spa, redirectUris: [\"https://a/cb\"], scopes: [openid]}]}\n",
			`config: oidc.clients[1].clientId: "a" is used twice`},
		{"oidc scopes", "oidc: {clients: [{clientId: a, type: spa, redirectUris: [\"https://a/cb\"], scopes: [profile]}]}\n",
			"config: oidc.clients[0].scopes: must include openid"},
		{"oidc sign-in page elsewhere", "oidc: {signInUrl: \"https://login.example.com/\"}\n",
			`config: oidc.signInUrl: "https://login.example.com/": its origin https://login.example.com must be http.publicUrl's or in http.allowedOrigins`},
		{"oidc key rotation", "oidc: {signingKeyRotation: 30m}\n", "config: oidc.signingKeyRotation: 30m0s must be positive and at least oidc.ttl.idToken"},
		{"sso saml source", "connectors: {sso: [{id: acme, type: saml, connectorName: Acme, saml: {entityId: x}}]}\n",
			"config: connectors.sso[0].saml: set exactly one of idpMetadataUrl and idpMetadataXml"},
		{"social target not configured", "signInExperience: {socialSignInConnectorTargets: [github]}\n",
			`config: signInExperience.socialSignInConnectorTargets[0]: "github" is not the target of a social connector (connectors.social) (sign_in_experiences.enabled_connector_not_found)`},
		{"sso without a connector", "signInExperience: {singleSignOnEnabled: true}\n",
			"config: signInExperience.singleSignOnEnabled: needs an SSO connector (connectors.sso) (sign_in_experiences.enabled_connector_not_found)"},
		{"sso saml metadata", "connectors: {sso: [{id: acme, type: saml, connectorName: Acme, saml: {idpMetadataXml: \"<nope\"}}]}\n",
			"config: connectors.sso[0].saml.idpMetadataXml: "},
		{"sso saml mapping", "connectors: {sso: [{id: acme, type: saml, connectorName: Acme, saml: {idpMetadataUrl: \"https://idp/m\", attributeMapping: {phone: tel}}}]}\n",
			"config: connectors.sso[0].saml.attributeMapping.phone: not a mapped field (email, name, avatar)"},
		{"sso domain", "connectors: {sso: [{id: acme, type: oidc, connectorName: Acme, domains: [\"@acme.com\"], oidc: {issuer: \"https://a\", clientId: c}}]}\n",
			`config: connectors.sso[0].domains[0]: "@acme.com" is not a domain`},
		{"allowed origin with a path", "http: {allowedOrigins: [\"https://app.example/login\"]}\n",
			`config: http.allowedOrigins[0]: "https://app.example/login" is not an origin (scheme://host[:port], no trailing slash)`},
		{"allowed origin not a URL", "http: {allowedOrigins: [\"app.example\"]}\n", "config: http.allowedOrigins[0]:"},
		{"webauthn origin", "webauthn: {rpId: example.com, origins: [\"https://evil.test\"]}\n", `config: webauthn.origins[0]: host "evil.test" is not webauthn.rpId "example.com"`},
		{"nats listen with url", "nats: {url: \"nats://x:4222\", listen: \"127.0.0.1:4222\"}\n" + sharedSecrets, "config: nats.listen: only the embedded server listens"},
		{"nats user role", "nats: {listen: \"127.0.0.1:4222\", users: [{user: a, password: abcdefghijklm, role: admin}]}\n", `config: nats.users[0].role: unknown value "admin"`},
		{"nats user password", "nats: {listen: \"127.0.0.1:4222\", users: [{user: a, password: short}]}\n", "config: nats.users[0].password: want at least 12"},
		{"nats users without listen", "nats: {users: [{user: a, password: abcdefghijklm}]}\n", "config: nats.users: set nats.listen"},
		{"trusted proxy", "limits: {trustedProxies: [10.0.0.0/8, proxy.local]}\n", `config: limits.trustedProxies[1]: "proxy.local" is not an address or CIDR`},
		{"mfa client scope", "mfaApi: {clients: [{clientId: a, clientSecret: b, scope: admin}]}\n", `config: mfaApi.clients[0].scope: unknown value "admin"`},
		{"mfa factor kind", "mfaApi: {factors: [{factorId: 1, name: Voice, authFactorName: Voice, kind: voice}]}\n", `config: mfaApi.factors[0].kind: unknown value "voice" (want totp, sms, email)`},
		{"mfa factor id reused", "mfaApi: {factors: [{factorId: 1, name: A, authFactorName: A, kind: totp}, {factorId: 1, name: B, authFactorName: B, kind: sms}]}\n",
			"config: mfaApi.factors[1].factorId: 1 is listed twice"},
		{"log format", "log: {format: yaml}\n", `config: log.format: unknown value "yaml" (want json, text)`},
		{"log level", "log: {level: \"\"}\n", "config: log.level: missing (want debug, info, warn, error)"},
		{"metrics on the API's address", "metrics: {addr: \"127.0.0.1:3001\"}\n", `config: metrics.addr: "127.0.0.1:3001" is http.addr`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfigFixture(t, tt.content)
			_, err := loadAndValidateConfig(path)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			want := strings.ReplaceAll(tt.want, "FILE", path)
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error = %q\nwant prefix %q", err, want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans several lines", err)
			}
			var configErr *ConfigError
			if !errors.As(err, &configErr) {
				t.Errorf("error %T is not a *ConfigError", err)
			}
		})
	}
}

func TestLoadConfigUnreadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.yaml")
	_, err := LoadConfig(path)
	want := "config: read " + path + ": no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestLoadConfigEmptyFileIsDefault(t *testing.T) {
	unsetSecretEnv(t)
	for _, content := range []string{"", "# nothing set\n"} {
		c, err := LoadConfig(writeConfigFixture(t, content))
		if err != nil || !reflect.DeepEqual(c, DefaultConfig()) {
			t.Errorf("file %q: err %v, want the defaults", content, err)
		}
	}
}

func TestLoadConfigExpandsEnvironment(t *testing.T) {
	unsetSecretEnv(t)
	t.Setenv("TEST_SMTP_PASSWORD", "s3cret")
	t.Setenv("TEST_SMS_TOKEN", "tok")
	c, err := loadAndValidateConfig(writeConfigFixture(t, `
connectors:
  email:
    type: smtp
    smtp: {host: "${TEST_SMTP_HOST:-127.0.0.1}", port: 2525, username: u, password: "${TEST_SMTP_PASSWORD}", from: a@example.com, tls: none}
  sms:
    type: http
    http: {url: "http://127.0.0.1:9000/sms", headers: {Authorization: "Bearer ${TEST_SMS_TOKEN}"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	smtp := c.Connectors.Email.SMTP
	if smtp.Password != "s3cret" || smtp.Host != "127.0.0.1" {
		t.Errorf("smtp = %+v, want password from the environment and host from the fallback", smtp)
	}
	if got := c.Connectors.SMS.HTTP.Headers["Authorization"]; got != "Bearer tok" {
		t.Errorf("header = %q, want %q", got, "Bearer tok")
	}
}

func TestLoadConfigUnsetEnvironmentVariable(t *testing.T) {
	_, err := LoadConfig(writeConfigFixture(t, "mfaApi: {clients: [{clientId: a, clientSecret: \"${TEST_SURELY_UNSET}\", scope: manage_all}]}\n"))
	want := "config: mfaApi.clients[0].clientSecret: environment variable TEST_SURELY_UNSET is not set"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestLoadConfigSecretsFromEnvironment(t *testing.T) {
	cookieKey, encryptionKey := zeroBase64Key(32), base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	t.Setenv(CookieKeyEnv, cookieKey)
	t.Setenv(EncryptionKeyEnv, encryptionKey)
	for _, path := range []string{"", writeConfigFixture(t, "secrets: {cookieKey: \"in-file\", encryptionKey: \"in-file\"}\n")} {
		c, err := loadAndValidateConfig(path)
		if err != nil {
			t.Fatalf("path %q: %v", path, err)
		}
		if c.Secrets.CookieKey != cookieKey || c.Secrets.EncryptionKey != encryptionKey {
			t.Errorf("path %q: secrets = %+v, want the environment's", path, c.Secrets)
		}
		key, err := c.Secrets.EncryptionKeyBytes()
		if err != nil || string(key) != "0123456789abcdef0123456789abcdef" {
			t.Errorf("EncryptionKeyBytes() = %q, %v", key, err)
		}
	}
}

func TestSecretBytesEmpty(t *testing.T) {
	key, err := SecretsConfig{}.CookieKeyBytes()
	if key != nil || err != nil {
		t.Errorf("CookieKeyBytes() of an empty key = %v, %v, want nil, nil (generate one)", key, err)
	}
}

// configKeyPaths lists every key path of t, with [] for list elements.
func configKeyPaths(t reflect.Type, prefix string) []string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct {
		return configKeyPaths(t.Elem(), prefix+"[]")
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[Duration]() {
		return []string{prefix}
	}
	var paths []string
	for field := range t.Fields() {
		name, _, _ := strings.Cut(field.Tag.Get("yaml"), ",")
		paths = append(paths, configKeyPaths(field.Type, strings.TrimPrefix(prefix+"."+name, "."))...)
	}
	return paths
}

func TestDocsAndExampleCoverEveryKey(t *testing.T) {
	docs, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(exampleConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range configKeyPaths(reflect.TypeFor[Config](), "") {
		if !strings.Contains(string(docs), "`"+path+"`") {
			t.Errorf("docs/config.md does not document `%s`", path)
		}
		leaf := path[strings.LastIndex(path, ".")+1:]
		leaf = strings.TrimSuffix(leaf, "[]")
		if !strings.Contains(string(example), leaf+":") {
			t.Errorf("config.example.yaml does not show %s", path)
		}
	}
	for _, env := range []string{CookieKeyEnv, EncryptionKeyEnv, NATSPasswordEnv, envName("signInExperience.signUp.password")} {
		if !strings.Contains(string(docs), env) {
			t.Errorf("docs/config.md does not mention %s", env)
		}
	}
}

// The example's SSO connectors build: the SAML one answers at its
// assertion consumer service under http.publicUrl, which its SP metadata
// names, with its entity id.
func TestSSOConnectorsFromTheExample(t *testing.T) {
	c, err := LoadConfig(exampleConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c.Connectors.ssoConnectors("https://auth.example")
	if err != nil || len(cs) != 2 {
		t.Fatalf("%d connectors: %v", len(cs), err)
	}
	if cs[0].SAML() || !cs[1].SAML() || cs[1].Name != "Globex" || cs[1].Domains[0] != "globex.example" {
		t.Fatalf("connectors %+v", cs)
	}
	doc, err := cs[1].Metadata(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`entityID="http://localhost:3001/sso/globex"`, `Location="https://auth.example/api/authn/single-sign-on/saml/globex"`} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("SP metadata lacks %s:\n%s", want, doc)
		}
	}
}
