// Package admin is the audit API under /api/admin (docs/audit.md): the
// interactions read model, each interaction's events and its state at any
// event, a user's events, and the projections' status and rebuild. Every
// answer is redacted and says how far the read model has come
// (X-Authtrail-Projection-Seq).
package admin

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/projections/interactions"
	"github.com/authtrail/authtrail/projections/webhooks"
)

// ProjectionSeqHeader carries the interactions read model's checkpoint on
// every answer.
const ProjectionSeqHeader = "X-Authtrail-Projection-Seq"

// Pagination bounds (docs/audit.md, Lists).
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Deps are the admin API's collaborators.
type Deps struct {
	Store        *eventstore.Store
	Auth         *onelogin.Auth
	Host         *projections.Host
	Interactions interactions.Model
	// Catalogue decodes every aggregate's events (api.Catalogue).
	Catalogue map[string]domain.Registry
	// PublicURL is the source of the CloudEvents the event stream sends.
	PublicURL string
	// Webhooks lists delivery attempts; WebhookIDs are the configured hooks.
	Webhooks   webhooks.Model
	WebhookIDs []string
	Clock      domain.Clock
	Log        *slog.Logger
}

// API serves /api/admin.
type API struct {
	d    Deps
	tail *tail // shared by the event streams
}

// New returns the admin API.
func New(d Deps) *API {
	if d.Clock == nil {
		d.Clock = domain.SystemClock{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	a := &API{d: d}
	a.tail = &tail{store: d.Store, render: a.render}
	return a
}

// Register mounts the routes; reads need read_all or manage_all, writes
// manage_all.
func (a *API) Register(r *mux.Router) {
	sub := r.PathPrefix("/api/admin").Subrouter()
	read := func(path string, h func(http.ResponseWriter, *http.Request) error, params ...string) {
		sub.Handle(path, a.route(h, params, onelogin.ScopeReadAll, onelogin.ScopeManageAll)).Methods(http.MethodGet)
	}
	read("/interactions", a.listInteractions, listParams...)
	read("/interactions/{id}", a.getInteraction, "at")
	read("/interactions/{id}/events", a.interactionEvents, "limit", "cursor")
	read("/users/{id}/events", a.userEvents, "limit", "cursor")
	read("/projections", a.listProjections)
	read("/events/stream", a.eventStream, "types", "from")
	read("/webhooks/{id}/deliveries", a.webhookDeliveries, "limit", "cursor")
	sub.Handle("/projections/{name}/rebuild", a.route(a.rebuild, nil, onelogin.ScopeManageAll)).Methods(http.MethodPost)
	sub.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		onelogin.WriteError(w, domain.E("admin.route_missing"))
	})
}

// route authenticates, checks the scope and the query's parameter names,
// and renders h's error.
func (a *API) route(h func(http.ResponseWriter, *http.Request) error, params []string, scopes ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.setSeqHeader(w)
		client, ok, err := a.d.Auth.Bearer(r)
		switch {
		case err != nil:
			a.fail(w, r, err)
			return
		case !ok:
			onelogin.WriteError(w, domain.E("admin.unauthorized"))
			return
		case !slices.Contains(scopes, client.Scope):
			onelogin.WriteError(w, domain.E("admin.forbidden"))
			return
		}
		for name := range r.URL.Query() {
			if !slices.Contains(params, name) {
				onelogin.WriteError(w, badParam(name, "unknown parameter"))
				return
			}
		}
		if err := h(w, r); err != nil {
			a.fail(w, r, err)
		}
	})
}

// setSeqHeader stamps the read model's checkpoint as the request starts:
// the answer reflects at least that much of the log.
func (a *API) setSeqHeader(w http.ResponseWriter) {
	if seq, err := a.d.Host.LastSeq(interactions.Name); err == nil {
		w.Header().Set(ProjectionSeqHeader, strconv.FormatUint(seq, 10))
	}
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	if _, ok := domain.AsError(err); !ok {
		if !errors.Is(err, context.Canceled) {
			a.d.Log.ErrorContext(r.Context(), "admin: request failed", "path", r.URL.Path, "err", err)
		}
		err = domain.E("admin.internal")
	}
	onelogin.WriteError(w, err)
}

// badParam is the 400 naming a parameter.
func badParam(name, why string) *domain.Error {
	return domain.E("admin.bad_request").WithMessage("parameter " + strconv.Quote(name) + ": " + why)
}

func notFound(what, id string) *domain.Error {
	return domain.E("admin.not_found").WithMessage(what + " " + strconv.Quote(id) + " was not found")
}

// page is the answer of a list.
type page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

func newPage[T any](items []T, next string) page[T] {
	p := page[T]{Items: items}
	if next != "" {
		p.NextCursor = &next
	}
	return p
}

// limitOf reads ?limit=, default DefaultLimit, 1..MaxLimit.
func limitOf(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if !r.URL.Query().Has("limit") {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, badParam("limit", "want an integer from 1 to 500")
	}
	return n, nil
}
