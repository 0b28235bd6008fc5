package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/onelogin"
)

// The assembled server: health, the Experience API, and the OneLogin-style
// API behind its bearer tokens and scopes.
func TestServerRoutes(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{APIClients: []onelogin.Client{
		{ID: "admin", Secret: "admin-secret-0123456789", Scope: onelogin.ScopeManageAll},
		{ID: "reader", Secret: "reader-secret-0123456789", Scope: onelogin.ScopeReadAll},
	}})
	c := srv.Client(t)
	if r := c.Do(http.MethodGet, "/healthz", nil); r.Status != http.StatusOK {
		t.Fatalf("healthz = %d", r.Status)
	}
	if r := c.Do(http.MethodGet, "/nowhere", nil); r.Status != http.StatusNotFound {
		t.Fatalf("unknown route = %d", r.Status)
	}
	token := func(id, secret string) string {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/auth/oauth2/v2/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
		req.SetBasicAuth(id, secret)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("token: %v %v", resp, err)
		}
		defer resp.Body.Close()
		var body struct {
			AccessToken string `json:"access_token"`
		}
		if err := decode(resp, &body); err != nil || body.AccessToken == "" {
			t.Fatalf("token body: %v", err)
		}
		return body.AccessToken
	}
	createUser := func(bearer string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/2/users",
			strings.NewReader(`{"username":"carol","password":"Secr3t!pass","password_confirmation":"Secr3t!pass"}`))
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := createUser(""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token = %d", resp.StatusCode)
	}
	if resp := createUser(token("reader", "reader-secret-0123456789")); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("read-only scope = %d", resp.StatusCode)
	}
	resp := createUser(token("admin", "admin-secret-0123456789"))
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-RateLimit-Limit") == "" {
		t.Fatalf("create user = %d %v", resp.StatusCode, resp.Header)
	}
	// The user signs in through the Experience API.
	start := c.Do(http.MethodPut, "/api/experience", map[string]any{"interactionEvent": "SignIn"})
	verify := c.Do(http.MethodPost, "/api/experience/verification/password",
		map[string]any{"identifier": map[string]string{"type": "username", "value": "carol"}, "password": "Secr3t!pass"})
	if start.Status != http.StatusNoContent || verify.Status != http.StatusOK {
		t.Fatalf("sign-in: %d %d %s", start.Status, verify.Status, verify.Body)
	}
}

func decode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

// Tools that read a log without a server decode it as the server does.
func TestBuiltinCatalogueIsTheServers(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	got, want := api.BuiltinCatalogue(), srv.API().Catalogue()
	if len(got) != len(want) {
		t.Fatalf("%d aggregate types, want %d", len(got), len(want))
	}
	for aggType, reg := range want {
		for eventType := range reg {
			if _, ok := got[aggType][eventType]; !ok {
				t.Errorf("%s: %s missing", aggType, eventType)
			}
		}
		if len(got[aggType]) != len(reg) {
			t.Errorf("%s: %d event types, want %d", aggType, len(got[aggType]), len(reg))
		}
	}
}
