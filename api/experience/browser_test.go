package experience_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
)

// Another site's page can make the browser send the user's cookie with a
// form or text/plain POST, or with fetch from its own origin. Such requests
// are refused before the interaction and write nothing; SDKs (no Origin)
// and the server's own pages keep working.
func TestRequestsFromAnotherSiteAreRefusedAndWriteNothing(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{AllowedOrigins: []string{"https://app.example"}})
	apitest.Register(t, srv, "alice")
	c := srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	password := map[string]any{"identifier": map[string]any{"type": "username", "value": "alice"}, "password": apitest.ScriptPassword}
	wrong := map[string]any{"identifier": map[string]any{"type": "username", "value": "alice"}, "password": "not-hers-1!"}

	for _, tc := range []struct {
		name           string
		header         map[string]string
		body           any
		status         int
		code           string
		contentTypeRaw string
	}{
		{name: "fetch from another origin", header: map[string]string{"Origin": "https://evil.example"}, body: wrong,
			status: http.StatusForbidden, code: "request.cross_site"},
		{name: "an opaque origin", header: map[string]string{"Origin": "null"}, body: wrong,
			status: http.StatusForbidden, code: "request.cross_site"},
		{name: "cross-site without Origin", header: map[string]string{"Sec-Fetch-Site": "cross-site"}, body: wrong,
			status: http.StatusForbidden, code: "request.cross_site"},
		{name: "a text/plain body (a form-like POST)", body: `{"identifier":{"type":"username","value":"alice"},"password":"` + apitest.ScriptPassword + `"}`,
			contentTypeRaw: "text/plain", status: http.StatusBadRequest, code: "guard.invalid_input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := lastSeq(t, srv)
			cc := c
			for k, v := range tc.header {
				cc = cc.WithHeader(k, v)
			}
			if tc.contentTypeRaw != "" {
				cc = cc.WithHeader("Content-Type", tc.contentTypeRaw)
			}
			resp := cc.Do(http.MethodPost, "/api/experience/verification/password", tc.body)
			if resp.Status != tc.status || resp.JSON()["code"] != tc.code {
				t.Fatalf("%d %s, want %d %s", resp.Status, resp.Body, tc.status, tc.code)
			}
			if after := lastSeq(t, srv); after != before {
				t.Fatalf("the refused request wrote %d events", after-before)
			}
			for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
				"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s %q, want %q", k, got, want)
				}
			}
		})
	}
	// The server's own origin, an allowed one, and a client without
	// Origin go through.
	for _, origin := range []string{apitest.PublicURL, "https://app.example"} {
		from := c.WithHeader("Origin", origin).WithHeader("Sec-Fetch-Site", "same-site")
		if resp := from.Do(http.MethodPost, "/api/experience/verification/password", password); resp.Status != http.StatusOK {
			t.Fatalf("from %s: %d %s", origin, resp.Status, resp.Body)
		}
	}
	c.Expect(http.MethodPost, "/verification/password", password, http.StatusOK)
}

func lastSeq(t *testing.T, srv *apitest.Server) uint64 {
	t.Helper()
	s, err := srv.Store.JetStream().Stream(context.Background(), srv.Store.Stream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}
