package main

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/authtrail/authtrail/domain/webhook"
	"github.com/authtrail/authtrail/workers/webhooks"
)

// WebhookConfig is one receiver of webhooks (docs/audit.md, Webhooks).
// Enabled defaults to true.
type WebhookConfig struct {
	ID          string            `yaml:"id"`
	URL         string            `yaml:"url"`
	Events      []string          `yaml:"events"`
	SigningKey  string            `yaml:"signingKey"`
	Headers     map[string]string `yaml:"headers"`
	Enabled     *bool             `yaml:"enabled"`
	Timeout     Duration          `yaml:"timeout"`
	Backoff     Duration          `yaml:"backoff"`
	MaxAttempts int               `yaml:"maxAttempts"`
}

// webhookIDPattern keeps ids usable as a consumer name.
var webhookIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (c *Config) validateWebhooks(p *problems) {
	seen := map[string]bool{}
	for i, h := range c.Webhooks {
		key := fmt.Sprintf("webhooks[%d]", i)
		switch {
		case !webhookIDPattern.MatchString(h.ID):
			p.addf(key+".id", "%q: use 1–64 letters, digits, '_' and '-'", h.ID)
		case seen[h.ID]:
			p.addf(key+".id", "%q is used twice", h.ID)
		}
		seen[h.ID] = true
		if u, err := url.Parse(h.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.addf(key+".url", "%q is not an http(s) URL", h.URL)
		}
		if strings.TrimSpace(h.SigningKey) == "" {
			p.addf(key+".signingKey", "missing (signs every delivery; use ${NAME})")
		}
		if len(h.Events) == 0 {
			p.addf(key+".events", "missing (want some of %s)", strings.Join(webhook.Names, ", "))
		}
		for j, e := range h.Events {
			if !slices.Contains(webhook.Names, e) {
				p.addf(fmt.Sprintf("%s.events[%d]", key, j), "unknown value %q (want %s)", e, strings.Join(webhook.Names, ", "))
			}
		}
		if h.Timeout.Duration < 0 || h.Backoff.Duration < 0 || h.MaxAttempts < 0 {
			p.addf(key, "timeout, backoff and maxAttempts must not be negative")
		}
	}
}

// hooks are the enabled webhooks for the workers.
func (c *Config) hooks() []webhooks.Hook {
	var out []webhooks.Hook
	for _, h := range c.Webhooks {
		if h.Enabled != nil && !*h.Enabled {
			continue
		}
		out = append(out, webhooks.Hook{ID: h.ID, URL: h.URL, Events: h.Events, SigningKey: h.SigningKey, Headers: h.Headers,
			Timeout: h.Timeout.Duration, Backoff: h.Backoff.Duration, MaxAttempts: h.MaxAttempts})
	}
	return out
}
