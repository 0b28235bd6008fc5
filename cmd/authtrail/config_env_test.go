package main

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnvNameRule(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"http.addr":                        "AUTHTRAIL_HTTP_ADDR",
		"nats.url":                         "AUTHTRAIL_NATS_URL",
		"nats.dataDir":                     "AUTHTRAIL_NATS_DATA_DIR",
		"webauthn.rpId":                    "AUTHTRAIL_WEBAUTHN_RP_ID",
		"mfaApi.clients":                   "AUTHTRAIL_MFA_API_CLIENTS",
		"secrets.cookieKey":                "AUTHTRAIL_SECRETS_COOKIE_KEY",
		"signInExperience.signUp.password": "AUTHTRAIL_SIGN_IN_EXPERIENCE_SIGN_UP_PASSWORD",
	} {
		if got := envName(key); got != want {
			t.Errorf("envName(%s) = %s, want %s", key, got, want)
		}
	}
}

// Every key that is not a section has one variable, no two keys share one,
// and none is a special name; lists of entries are one key each.
func TestEveryKeyHasItsOwnVariable(t *testing.T) {
	t.Parallel()
	keys := envKeys(reflect.TypeFor[Config](), "", nil)
	byEnv := map[string]string{}
	var settable []string
	for _, k := range keys {
		if other, taken := byEnv[k.env]; taken {
			t.Errorf("%s names both %s and %s", k.env, other, k.key)
		}
		if specialEnv[k.env] {
			t.Errorf("%s of %s is a special variable", k.env, k.key)
		}
		byEnv[k.env] = k.key
		settable = append(settable, k.key)
	}
	for _, path := range configKeyPaths(reflect.TypeFor[Config](), "") {
		key, _, _ := strings.Cut(path, "[]")
		if !slices.Contains(settable, key) {
			t.Errorf("no variable sets %s", key)
		}
	}
}

// writeConfigFixture is in config_test.go; loadWith loads path under
// environ and validates, returning every problem.
func loadWith(t *testing.T, path string, environ ...string) (Config, error) {
	t.Helper()
	c, p, err := loadConfig(path, environ)
	if err != nil {
		return c, err
	}
	if errs := p.err(); errs != nil {
		return c, errs
	}
	return c, c.Validate()
}

func TestEnvironmentSetsKeysOverTheFile(t *testing.T) {
	unsetSecretEnv(t)
	path := writeConfigFixture(t, `
http: {addr: ":8080"}
interaction: {ttl: 2h, returnUrl: "https://app.example.com/cb"}
nats: {replicas: 1}
`)
	c, err := loadWith(t, path,
		"AUTHTRAIL_HTTP_ADDR=127.0.0.1:9999",
		"AUTHTRAIL_HTTP_PUBLIC_URL=https://auth.example.com",
		"AUTHTRAIL_NATS_SYNC_ALWAYS=false",
		"AUTHTRAIL_NATS_LISTEN=127.0.0.1:4222",
		"AUTHTRAIL_NATS_USERS=[{user: auditor, password: long-enough-secret, role: audit}]",
		"AUTHTRAIL_INTERACTION_TTL=30m",
		"AUTHTRAIL_INTERACTION_RETURN_URL=", // empty: ignored
		"AUTHTRAIL_SIGN_IN_EXPERIENCE_SIGN_UP_PASSWORD=false",
		"AUTHTRAIL_SIGN_IN_EXPERIENCE_PASSWORD_POLICY_REJECTS_PWNED=false",
		"AUTHTRAIL_SIGN_IN_EXPERIENCE_PASSWORD_POLICY_REJECTS_WORDS=[acme, authtrail]",
		"AUTHTRAIL_CONNECTORS_SMS_TYPE=http",
		"AUTHTRAIL_CONNECTORS_SMS_HTTP_URL=https://sms.example.com/send",
		"AUTHTRAIL_CONNECTORS_SMS_HTTP_HEADERS={Authorization: Bearer tok}",
		"AUTHTRAIL_LOG_FORMAT=text",
		"AUTHTRAIL_LOG_LEVEL=debug",
		"AUTHTRAIL_METRICS_ADDR=127.0.0.1:9090",
		"AUTHTRAIL_NATS_PASSWORD=for-the-cli", // special: no key, no error
		"PATH=/usr/bin",
	)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]any{
		"http.addr":            {c.HTTP.Addr, "127.0.0.1:9999"},
		"nats.syncAlways":      {c.NATS.SyncAlways, false},
		"nats.users":           {len(c.NATS.Users) == 1 && c.NATS.Users[0].Role == "audit", true},
		"interaction.ttl":      {c.Interaction.TTL.Duration, 30 * time.Minute},
		"interaction.return":   {c.Interaction.ReturnURL, "https://app.example.com/cb"},
		"signUp.password":      {c.SignInExperience.SignUp.Password, false},
		"rejects.pwned":        {*c.SignInExperience.PasswordPolicy.Rejects.Pwned, false},
		"rejects.words":        {strings.Join(c.SignInExperience.PasswordPolicy.Rejects.Words, ","), "acme,authtrail"},
		"sms header":           {c.Connectors.SMS.HTTP.Headers["Authorization"], "Bearer tok"},
		"email kept":           {c.Connectors.Email != nil && c.Connectors.Email.Type == "console", true},
		"log":                  {c.Log, LogConfig{Format: "text", Level: "debug"}},
		"metrics.addr":         {c.Metrics.Addr, "127.0.0.1:9090"},
		"webauthn from public": {c.WebAuthn.RPID, "auth.example.com"},
	}
	for name, check := range checks {
		if !reflect.DeepEqual(check[0], check[1]) {
			t.Errorf("%s = %v, want %v", name, check[0], check[1])
		}
	}
}

// Every problem of the environment is reported at once, without the values
// of lists (which may hold passwords).
func TestEnvironmentProblems(t *testing.T) {
	unsetSecretEnv(t)
	key := zeroBase64Key(32)
	_, err := loadWith(t, "",
		"AUTHTRAIL_HTTP_ADRR=127.0.0.1:1",
		"AUTHTRAIL_NATS_REPLICAS=many",
		"AUTHTRAIL_INTERACTION_TTL=soon",
		"AUTHTRAIL_NATS_USERS=[{user: a, secret: hunter2-password}]",
		"AUTHTRAIL_COOKIE_KEY="+key,
		"AUTHTRAIL_SECRETS_COOKIE_KEY="+zeroBase64Key(33),
	)
	var problems ConfigErrors
	if !errors.As(err, &problems) {
		t.Fatalf("error %v is not ConfigErrors", err)
	}
	want := []string{
		"config: AUTHTRAIL_HTTP_ADRR: names no configuration key",
		`config: interaction.ttl: AUTHTRAIL_INTERACTION_TTL="soon" is not a duration such as 1h or 30m`,
		"config: nats.replicas: AUTHTRAIL_NATS_REPLICAS=\"many\" is not an integer",
		"config: nats.users: AUTHTRAIL_NATS_USERS is not a list in YAML flow syntax",
		"config: secrets.cookieKey: AUTHTRAIL_COOKIE_KEY and AUTHTRAIL_SECRETS_COOKIE_KEY are set to different values",
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("line %d = %q\nwant prefix %q", i, lines[i], want[i])
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a problem quotes a password: %s", err)
	}
}

func TestSecretVariables(t *testing.T) {
	unsetSecretEnv(t)
	cookie, encryption := zeroBase64Key(32), zeroBase64Key(32)
	for name, environ := range map[string][]string{
		"rule names":         {"AUTHTRAIL_SECRETS_COOKIE_KEY=" + cookie, "AUTHTRAIL_SECRETS_ENCRYPTION_KEY=" + encryption},
		"special names":      {"AUTHTRAIL_COOKIE_KEY=" + cookie, "AUTHTRAIL_ENCRYPTION_KEY=" + encryption},
		"both, in agreement": {"AUTHTRAIL_COOKIE_KEY=" + cookie, "AUTHTRAIL_SECRETS_COOKIE_KEY=" + cookie, "AUTHTRAIL_ENCRYPTION_KEY=" + encryption},
	} {
		c, err := loadWith(t, "", environ...)
		if err != nil || c.Secrets.CookieKey != cookie || c.Secrets.EncryptionKey != encryption {
			t.Errorf("%s: secrets %+v, %v", name, c.Secrets, err)
		}
	}
}

// ${NAME} in a value that is not a string reads as that value's YAML;
// in a string it stays as written.
func TestReferencesInNonStringValues(t *testing.T) {
	unsetSecretEnv(t)
	t.Setenv("TEST_PORT", "2525")
	t.Setenv("TEST_SYNC", "false")
	t.Setenv("TEST_TTL", "45m")
	t.Setenv("TEST_WORDS", "[acme, widgets]")
	t.Setenv("TEST_PASSWORD", "a: [b")
	c, err := loadWith(t, writeConfigFixture(t, `
nats:
  syncAlways: ${TEST_SYNC}
  replicas: ${TEST_REPLICAS:-1}
interaction:
  ttl: ${TEST_TTL}
signInExperience:
  passwordPolicy:
    rejects:
      words: ${TEST_WORDS}
connectors:
  email:
    type: smtp
    smtp: {host: "127.0.0.1", port: "${TEST_PORT}", username: u, password: "${TEST_PASSWORD}", from: a@example.com, tls: none}
`))
	if err != nil {
		t.Fatal(err)
	}
	smtp := c.Connectors.Email.SMTP
	switch {
	case smtp.Port != 2525:
		t.Errorf("port = %d", smtp.Port)
	case smtp.Password != "a: [b":
		t.Errorf("password = %q, want the variable as it is", smtp.Password)
	case c.NATS.SyncAlways || c.NATS.Replicas != 1:
		t.Errorf("nats = %+v", c.NATS)
	case c.Interaction.TTL.Duration != 45*time.Minute:
		t.Errorf("ttl = %v", c.Interaction.TTL)
	case !slices.Equal(c.SignInExperience.PasswordPolicy.Rejects.Words, []string{"acme", "widgets"}):
		t.Errorf("words = %v", c.SignInExperience.PasswordPolicy.Rejects.Words)
	}
}

func TestReferenceProblemsInNonStringValues(t *testing.T) {
	unsetSecretEnv(t)
	t.Setenv("TEST_PORT", "twenty-five")
	t.Setenv("TEST_EMPTY", "")
	path := writeConfigFixture(t, "nats:\n  replicas: ${TEST_EMPTY}\n  syncAlways: ${TEST_SURELY_UNSET}\n"+
		"connectors:\n  email:\n    type: smtp\n    smtp:\n      port: ${TEST_PORT}\n")
	_, err := loadWith(t, path)
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		"config: nats.replicas: ${TEST_EMPTY} is empty, want an integer",
		"config: nats.syncAlways: environment variable TEST_SURELY_UNSET is not set",
	}
	lines := strings.Split(err.Error(), "\n")
	for i, w := range want {
		if i >= len(lines) || lines[i] != w {
			t.Errorf("line %d: %q, want %q (all: %s)", i, lines[min(i, len(lines)-1)], w, err)
		}
	}
	// The port's type error stops the decoding, with its position.
	if !strings.Contains(err.Error(), `config: connectors.email.smtp.port: "twenty-five" is not an integer (`+path+":8:") {
		t.Errorf("error %q does not name the port and its place", err)
	}
}

// Validate reports every problem, one line each, not only the first.
func TestValidateReportsEveryProblem(t *testing.T) {
	unsetSecretEnv(t)
	_, err := loadWith(t, writeConfigFixture(t, `
nats: {replicas: 7}
interaction: {ttl: 0s}
limits: {trustedProxies: [proxy.local]}
log: {format: xml, level: loud}
metrics: {addr: nowhere}
signInExperience: {signInMode: Sometimes, mfa: {policy: Often}}
`))
	want := []string{
		"config: nats.replicas: 7 is out of range 1–5",
		"config: interaction.ttl: 0s is not positive",
		`config: signInExperience.signInMode: unknown value "Sometimes"`,
		`config: signInExperience.mfa.policy: unknown value "Often"`,
		`config: limits.trustedProxies[0]: "proxy.local" is not an address or CIDR`,
		`config: log.format: unknown value "xml" (want json, text)`,
		`config: log.level: unknown value "loud" (want debug, info, warn, error)`,
		`config: metrics.addr: "nowhere" is not host:port`,
	}
	var problems ConfigErrors
	if !errors.As(err, &problems) || len(problems) != len(want) {
		t.Fatalf("want %d problems, got:\n%v", len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(problems[i].Error(), want[i]) {
			t.Errorf("problem %d = %q\nwant prefix %q", i, problems[i], want[i])
		}
	}
}
