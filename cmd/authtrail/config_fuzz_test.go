package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadConfig: any file and environment variable either loads and
// validates or is reported as problems; nothing panics.
func FuzzLoadConfig(f *testing.F) {
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example), "")
	f.Add("http: {addr: ':0'}\n", "AUTHTRAIL_HTTP_ADDR=127.0.0.1:1")
	f.Add("nats: {replicas: 99}\nsignInExperience: {signUp: {identifiers: [nobody]}}\n", "AUTHTRAIL_NATS_REPLICAS=x")
	f.Add("a: &a [*a, *a]\nb: *a\n", "AUTHTRAIL_LIMITS_TRUSTED_PROXIES=[10.0.0.0/8")
	f.Add("interaction: {ttl: 1y}\nhttp: {maxConnections: -1}\n", "AUTHTRAIL_SECRETS_COOKIE_KEY=!!")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, file, env string) {
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		c, p, err := loadConfig(path, []string{env})
		if err != nil {
			return
		}
		_ = p.err()
		_ = c.Validate()
	})
}
