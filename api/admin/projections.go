package admin

import (
	"errors"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/projections"
)

// listProjections serves GET /api/admin/projections.
func (a *API) listProjections(w http.ResponseWriter, r *http.Request) error {
	st, err := a.d.Host.Statuses(r.Context())
	if err != nil {
		return err
	}
	onelogin.WriteJSON(w, http.StatusOK, st)
	return nil
}

// rebuild serves POST /api/admin/projections/{name}/rebuild: 202 once the
// new version is being built.
func (a *API) rebuild(w http.ResponseWriter, r *http.Request) error {
	name := mux.Vars(r)["name"]
	version, err := a.d.Host.Rebuild(r.Context(), name)
	if errors.Is(err, projections.ErrUnknown) {
		return notFound("projection", name)
	}
	if err != nil {
		return err
	}
	onelogin.WriteJSON(w, http.StatusAccepted, map[string]any{"name": name, "version": version})
	return nil
}
