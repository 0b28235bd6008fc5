package main

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"unicode"

	"github.com/goccy/go-yaml"
)

// The environment rule (docs/config.md, Environment variables): every key
// that is not a section can be set by AUTHTRAIL_ and its path in upper snake
// case, http.addr by AUTHTRAIL_HTTP_ADDR and nats.dataDir by
// AUTHTRAIL_NATS_DATA_DIR. A string is taken as it is; any other value
// (number, boolean, duration, list, mapping) is read as YAML, so a list is
// given whole in flow syntax: '[email, phone]'.
const envPrefix = "AUTHTRAIL_"

// NATSPasswordEnv is the --nats-password of replay and projections.
const NATSPasswordEnv = "AUTHTRAIL_NATS_PASSWORD"

// specialEnv are the AUTHTRAIL_ variables outside the rule: the secret
// overrides that came before it, and the CLI's NATS password.
var specialEnv = map[string]bool{CookieKeyEnv: true, EncryptionKeyEnv: true, NATSPasswordEnv: true}

// envKey is one key the environment can set.
type envKey struct {
	key   string // e.g. nats.dataDir
	env   string // e.g. AUTHTRAIL_NATS_DATA_DIR
	index []int  // the field indexes from Config down to the key
}

// envKeys lists the keys of t that are values, not sections.
func envKeys(t reflect.Type, key string, index []int) []envKey {
	var out []envKey
	for i := range t.NumField() {
		field := t.Field(i)
		name, _, _ := strings.Cut(field.Tag.Get("yaml"), ",")
		if !field.IsExported() || name == "" || name == "-" {
			continue
		}
		path := strings.TrimPrefix(key+"."+name, ".")
		at := append(append([]int(nil), index...), i)
		base := field.Type
		if base.Kind() == reflect.Pointer {
			base = base.Elem()
		}
		if base.Kind() == reflect.Struct && base != reflect.TypeFor[Duration]() {
			out = append(out, envKeys(base, path, at)...)
			continue
		}
		out = append(out, envKey{key: path, env: envName(path), index: at})
	}
	return out
}

// envName is the variable of key: http.publicUrl is AUTHTRAIL_HTTP_PUBLIC_URL.
func envName(key string) string {
	var b strings.Builder
	b.WriteString(envPrefix)
	for i, r := range key {
		switch {
		case r == '.':
			b.WriteByte('_')
		case unicode.IsUpper(r) && i > 0 && key[i-1] != '.':
			b.WriteByte('_')
			b.WriteRune(r)
		default:
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// applyEnv sets the keys environ names, over the file and the defaults.
// A variable set to "" is ignored, as if unset. An AUTHTRAIL_ variable that
// names no key is a problem: a misspelt one must not pass for a default.
func (c *Config) applyEnv(environ []string, p *problems) {
	byName := map[string]envKey{}
	for _, k := range envKeys(reflect.TypeFor[Config](), "", nil) {
		byName[k.env] = k
	}
	values := map[string]string{}
	for _, entry := range environ {
		if name, value, ok := strings.Cut(entry, "="); ok && strings.HasPrefix(name, envPrefix) {
			values[name] = value
		}
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		k, known := byName[name]
		switch {
		case specialEnv[name]:
		case !known:
			p.add(&ConfigError{Message: name + ": names no configuration key (docs/config.md, Environment variables)"})
		case values[name] != "":
			p.add(c.setFromEnv(k, values[name]))
		}
	}
	secrets := []struct {
		env, key string
		dst      *string
	}{
		{CookieKeyEnv, "secrets.cookieKey", &c.Secrets.CookieKey},
		{EncryptionKeyEnv, "secrets.encryptionKey", &c.Secrets.EncryptionKey},
	}
	for _, s := range secrets {
		value := values[s.env]
		if value == "" {
			continue
		}
		if ruled := envName(s.key); values[ruled] != "" && values[ruled] != value {
			p.addf(s.key, "%s and %s are set to different values; set one", s.env, ruled)
			continue
		}
		*s.dst = value
	}
}

// setFromEnv sets k to value: a string as it is, anything else read as YAML.
// The problem quotes a scalar's value but never a list's or a mapping's,
// which may hold passwords.
func (c *Config) setFromEnv(k envKey, value string) error {
	v := reflect.ValueOf(c).Elem()
	for _, i := range k.index {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	if v.Kind() == reflect.String {
		v.SetString(value)
		return nil
	}
	base := v.Type()
	if base.Kind() == reflect.Pointer { // *bool: a value is set, not left to the default
		base = base.Elem()
	}
	target := reflect.New(base)
	if err := yaml.UnmarshalWithOptions([]byte(value), target.Interface(), yaml.Strict()); err != nil {
		switch base.Kind() {
		case reflect.Slice, reflect.Map:
			var yamlErr yaml.Error
			why := "unreadable"
			if errors.As(err, &yamlErr) {
				why = strings.ReplaceAll(yamlErr.GetMessage(), "\n", " ")
			}
			return configErrorf(k.key, "%s is not %s in YAML flow syntax, e.g. [a, b] or {k: v} (%s)", k.env, yamlKindName(base), why)
		}
		return configErrorf(k.key, "%s=%q is not %s", k.env, value, yamlKindName(base))
	}
	if v.Kind() == reflect.Pointer {
		v.Set(target)
	} else {
		v.Set(target.Elem())
	}
	return nil
}
