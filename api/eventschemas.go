package api

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/workers/publicstream"
)

// newEventSchemas serves the JSON schema of each public event type at the
// URL its CloudEvents name in dataschema (docs/events/ holds the same
// files).
func newEventSchemas(catalogue map[string]domain.Registry) (Mounter, error) {
	s, err := publicstream.Schemas(catalogue)
	return schemaRoutes(s), err
}

// schemaRoutes are the schemas by event type.
type schemaRoutes map[string][]byte

func (s schemaRoutes) Register(r *mux.Router) {
	r.HandleFunc(publicstream.SchemaPath+"{file}", func(w http.ResponseWriter, r *http.Request) {
		schema, ok := s[strings.TrimSuffix(mux.Vars(r)["file"], ".json")]
		if !ok || !strings.HasSuffix(mux.Vars(r)["file"], ".json") {
			httpx.Error(w, r, nil, domain.E("request.route_not_found"))
			return
		}
		w.Header().Set("Content-Type", "application/schema+json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(schema)
	}).Methods(http.MethodGet)
}
