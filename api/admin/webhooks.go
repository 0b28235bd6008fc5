package admin

import (
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/onelogin"
)

// webhookDeliveries serves GET /api/admin/webhooks/{id}/deliveries: the
// hook's recent attempts, newest first.
func (a *API) webhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	if !slices.Contains(a.d.WebhookIDs, id) {
		return notFound("webhook", id)
	}
	limit, err := limitOf(r)
	if err != nil {
		return err
	}
	before, err := seqCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	items, next, err := a.d.Webhooks.List(r.Context(), id, limit, before)
	if err != nil {
		return err
	}
	cursor := ""
	if next > 0 {
		cursor = encodeSeqCursor(next)
	}
	onelogin.WriteJSON(w, http.StatusOK, newPage(items, cursor))
	return nil
}
