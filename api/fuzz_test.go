package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/onelogin"
)

// pathParam is a gorilla/mux template variable: {user_id}, {id:[0-9]+}.
var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// FuzzRoutes sends arbitrary bodies, path values and interaction cookies
// to every route of both APIs, with a live interaction and, for the
// OneLogin-style API, a token of every scope: no answer is a 5xx, and the
// commit rule holds for every answer (audited when the server closes). The
// bodies cover every request decoder, WebAuthn payloads included; the
// cookie covers its decoding.
func FuzzRoutes(f *testing.F) {
	smtp := apitest.NewSMTPServer(f)
	sms := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	f.Cleanup(sms.Close)
	srv := apitest.NewServer(f, apitest.Options{Settings: apitest.ScriptSettings(), SMTP: smtp, SMSURL: sms.URL,
		APIClients: []onelogin.Client{{ID: "admin", Secret: "admin-secret-0123456789", Scope: onelogin.ScopeManageAll}}})
	token := srv.Token(f, "admin", "admin-secret-0123456789")
	var routes []string
	for _, r := range srv.API().Routes() {
		// Streams answer until the client leaves; nothing to fuzz there.
		if !strings.Contains(r.Path, "stream") {
			routes = append(routes, r.Method+" "+r.Path)
		}
	}
	seeds := []string{
		`{}`, `null`, `[]`, `"x"`, `{"interactionEvent":"SignIn"}`, `{"interactionEvent":"Register"}`,
		`{"identifier":{"type":"username","value":"alice"},"password":"` + apitest.ScriptPassword + `"}`,
		`{"identifier":{"type":"email","value":"a@example.com"},"interactionEvent":"SignIn"}`,
		`{"verificationId":"x","code":"123456"}`, `{"type":"Totp","verificationId":"x"}`,
		`{"id":"x","rawId":"x","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}`,
		`{"factor_id":1,"display_name":"x","number":"+15551234567"}`, `{"otp":"123456","device_id":"1"}`,
		`{"identifier":{"type":"phone","value":"\u0000"}}`, `{"a":` + strings.Repeat("[", 100) + `}`,
	}
	for i := range routes {
		f.Add(uint16(i), "1", `{}`, "")
		f.Add(uint16(i), "1", seeds[i%len(seeds)], "")
	}
	f.Add(uint16(0), "1", `{}`, "not-a-cookie")
	f.Add(uint16(1), "../..", `{}`, strings.Repeat("A", 5000))
	f.Fuzz(func(t *testing.T, route uint16, param, body, cookie string) {
		method, template, _ := strings.Cut(routes[int(route)%len(routes)], " ")
		c := srv.Client(t)
		// A redirect is an answer (the provider's go to the sign-in page).
		c.HTTP.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		if r := c.Do(http.MethodPut, "/api/experience", map[string]any{"interactionEvent": "SignIn"}); r.Status != http.StatusNoContent {
			t.Fatalf("start an interaction: %d %s", r.Status, r.Body)
		}
		path := pathParam.ReplaceAllLiteralString(template, strings.ReplaceAll(param, "/", "%2F"))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, bytes.NewReader([]byte(body)))
		if err != nil {
			return // not a URL: nothing reaches the server
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		if !httpguts.ValidHeaderFieldValue(cookie) {
			return // the client refuses to send it
		}
		if cookie != "" {
			req.Header.Set("Cookie", experience.CookieName+"="+cookie)
		}
		resp, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 500 {
			var out bytes.Buffer
			_, _ = out.ReadFrom(resp.Body)
			t.Fatalf("%s %s with %q: %d %s", method, path, body, resp.StatusCode, out.String())
		}
	})
}
