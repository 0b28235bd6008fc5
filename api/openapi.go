package api

import (
	_ "embed"
	"net/http"
	"sync"

	"github.com/goccy/go-yaml"

	"github.com/authtrail/authtrail/api/httpx"
)

// openapiYAML describes every route of both APIs (api/openapi.yaml); a test
// holds it equal to the mounted routes.
//
//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPI returns the description in JSON, converted once.
var OpenAPI = sync.OnceValues(func() ([]byte, error) { return yaml.YAMLToJSON(openapiYAML) })

// openapi serves GET /api/openapi.json.
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	doc, err := OpenAPI()
	if err != nil {
		httpx.Error(w, r, s.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(doc)
}
