package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/mfaapi"
)

// openapiDoc is the part of the description these tests read.
type openapiDoc struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		OperationID string                     `json:"operationId"`
		Responses   map[string]json.RawMessage `json:"responses"`
	} `json:"paths"`
}

// The description and the router agree: every mounted route is described
// and every described route is mounted, each operation with a unique id and
// its answers.
func TestOpenAPIDescribesExactlyTheMountedRoutes(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{
		APIClients: []onelogin.Client{{ID: "a", Secret: "s", Scope: onelogin.ScopeManageAll}},
		MFAFactors: []mfaapi.Factor{{ID: 1, Name: "Authenticator", AuthFactorName: "Google Authenticator", Kind: mfaapi.KindTotp}},
	})
	r := srv.Client(t).Do(http.MethodGet, "/api/openapi.json", nil)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/openapi.json: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	var doc openapiDoc
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	var described []api.Route
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			described = append(described, api.Route{Method: strings.ToUpper(method), Path: path})
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s %s: operationId %q missing or used twice", method, path, op.OperationID)
			}
			ids[op.OperationID] = true
			if len(op.Responses) == 0 {
				t.Errorf("%s %s describes no response", method, path)
			}
		}
	}
	mounted := srv.API().Routes()
	for _, m := range mounted {
		if !slices.Contains(described, m) {
			t.Errorf("mounted but not described: %s %s", m.Method, m.Path)
		}
	}
	for _, d := range described {
		if !slices.Contains(mounted, d) {
			t.Errorf("described but not mounted: %s %s", d.Method, d.Path)
		}
	}
}

// Every error code the description lists under a status is a registered
// error answered with that status (domain/errors.go), so the description
// cannot drift from the registry.
func TestOpenAPIErrorCodesAreRegistered(t *testing.T) {
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &spec); err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, e := range domain.All() {
		registered[fmt.Sprintf("%d %s", e.Status, e.Code)] = true
	}
	type schema struct {
		AllOf      []json.RawMessage `json:"allOf"`
		Properties map[string]struct {
			Const string   `json:"const"`
			Enum  []string `json:"enum"`
		} `json:"properties"`
	}
	checked := 0
	for path, ops := range spec.Paths {
		for method, raw := range ops {
			var op struct {
				Responses map[string]struct {
					Content map[string]struct {
						Schema schema `json:"schema"`
					} `json:"content"`
				} `json:"responses"`
			}
			if json.Unmarshal(raw, &op) != nil {
				continue
			}
			for status, resp := range op.Responses {
				for _, media := range resp.Content {
					parts := []schema{media.Schema}
					for _, sub := range media.Schema.AllOf {
						var s schema
						_ = json.Unmarshal(sub, &s)
						parts = append(parts, s)
					}
					for _, s := range parts {
						for _, field := range []string{"code", "name"} {
							p, ok := s.Properties[field]
							if !ok {
								continue
							}
							for _, c := range append(p.Enum, p.Const) {
								if c == "" {
									continue
								}
								checked++
								if !registered[status+" "+c] {
									t.Errorf("%s %s lists %s %s, which the registry does not answer with that status", method, path, status, c)
								}
							}
						}
					}
				}
			}
		}
	}
	if checked < 100 {
		t.Fatalf("only %d codes checked: the description's error schemas changed shape", checked)
	}
}
