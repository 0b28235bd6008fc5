package httpx

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tc := range []struct {
		name, peer string
		forwarded  []string
		trusted    []netip.Prefix
		want       string
	}{
		{"no proxy configured ignores the header", "203.0.113.9:5000", []string{"198.51.100.1"}, nil, "203.0.113.9"},
		{"an untrusted peer's header is ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, proxies, "203.0.113.9"},
		{"a trusted proxy's client", "10.1.2.3:443", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"a spoofed first hop is skipped", "10.1.2.3:443", []string{"6.6.6.6, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"chained proxies", "10.1.2.3:443", []string{"198.51.100.1, 10.9.9.9"}, proxies, "198.51.100.1"},
		{"several headers", "10.1.2.3:443", []string{"198.51.100.1", "10.9.9.9"}, proxies, "198.51.100.1"},
		{"a malformed hop stops the walk", "10.1.2.3:443", []string{"198.51.100.1, junk, 10.9.9.9"}, proxies, "10.9.9.9"},
		{"only proxies", "10.1.2.3:443", []string{"10.9.9.9"}, proxies, "10.9.9.9"},
		{"no header from a proxy", "10.1.2.3:443", nil, proxies, "10.1.2.3"},
		{"ipv6 peer", "[::1]:443", []string{"2001:db8::7"}, proxies, "2001:db8::7"},
		{"ipv4-mapped peer", "[::ffff:203.0.113.9]:80", nil, proxies, "203.0.113.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.forwarded {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientIP(r, tc.trusted); got != tc.want {
				t.Errorf("ClientIP = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestUserAgentIsBounded(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("User-Agent", strings.Repeat("é", 400))
	if ua := UserAgent(r); len(ua) > maxUserAgent || !strings.HasPrefix(ua, "éé") || !strings.HasSuffix(ua, "é") {
		t.Fatalf("UserAgent = %d bytes %q…", len(ua), ua[:8])
	}
}
