package admin

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections/interactions"
)

var listParams = []string{"userId", "status", "interactionEvent", "identifier", "failed", "from", "to", "limit", "cursor"}

// listInteractions serves GET /api/admin/interactions.
func (a *API) listInteractions(w http.ResponseWriter, r *http.Request) error {
	f, err := filterOf(r)
	if err != nil {
		return err
	}
	limit, err := limitOf(r)
	if err != nil {
		return err
	}
	items, next, _, err := a.d.Interactions.List(r.Context(), f, interactions.Page{Limit: limit, Cursor: r.URL.Query().Get("cursor")})
	if errors.Is(err, interactions.ErrBadCursor) {
		return badParam("cursor", "not a cursor this API handed out")
	}
	if err != nil {
		return err
	}
	onelogin.WriteJSON(w, http.StatusOK, newPage(items, next))
	return nil
}

// filterOf reads the list's filters, refusing values it does not know.
func filterOf(r *http.Request) (interactions.Filter, error) {
	q := r.URL.Query()
	f := interactions.Filter{UserID: q.Get("userId"), Identifier: q.Get("identifier"), Status: q.Get("status"),
		InteractionEvent: q.Get("interactionEvent")}
	switch f.Status {
	case "", interactions.StatusActive, interactions.StatusSubmitted, interactions.StatusExpired:
	default:
		return f, badParam("status", "want active, submitted or expired")
	}
	switch f.InteractionEvent {
	case "", settings.EventSignIn, settings.EventRegister, settings.EventForgotPassword:
	default:
		return f, badParam("interactionEvent", "want SignIn, Register or ForgotPassword")
	}
	if q.Has("failed") {
		switch q.Get("failed") {
		case "true":
			f.Failed = ptr(true)
		case "false":
			f.Failed = ptr(false)
		default:
			return f, badParam("failed", "want true or false")
		}
	}
	for _, bound := range []struct {
		name string
		dst  **time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if !q.Has(bound.name) {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, q.Get(bound.name))
		if err != nil {
			return f, badParam(bound.name, "want an RFC 3339 time such as 2026-12-01T10:00:00Z")
		}
		*bound.dst = &t
	}
	return f, nil
}

func ptr[T any](v T) *T { return &v }

// detail is GET /api/admin/interactions/{id}: the summary and the state.
type detail struct {
	interactions.Summary
	At    *uint64 `json:"at,omitempty"`
	State State   `json:"state"`
}

// getInteraction serves GET /api/admin/interactions/{id}[?at=SEQ]. Both
// the summary and the state come from the interaction's events in the log,
// folded by the live API's fold, so they never lag.
func (a *API) getInteraction(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	var at *uint64
	if r.URL.Query().Has("at") {
		n, err := strconv.ParseUint(r.URL.Query().Get("at"), 10, 64)
		if err != nil || n == 0 {
			return badParam("at", "want a positive integer, the seq of an event")
		}
		at = &n
	}
	envs, err := a.events(r.Context(), interaction.AggregateType, id)
	if err != nil {
		return err
	}
	if len(envs) == 0 {
		return notFound("interaction", id)
	}
	reg := a.d.Catalogue[interaction.AggregateType]
	summary, err := interactions.Summarize(reg, envs, a.d.Clock.Now())
	if err != nil {
		return err
	}
	state, err := FoldAt(reg, envs, at)
	if err != nil {
		return err
	}
	onelogin.WriteJSON(w, http.StatusOK, detail{Summary: summary, At: at, State: StateOf(state)})
	return nil
}

// interactionEvents serves GET /api/admin/interactions/{id}/events.
func (a *API) interactionEvents(w http.ResponseWriter, r *http.Request) error {
	return a.eventPage(w, r, interaction.AggregateType, "interaction")
}

// userEvents serves GET /api/admin/users/{id}/events: the user's own
// aggregate.
func (a *API) userEvents(w http.ResponseWriter, r *http.Request) error {
	return a.eventPage(w, r, user.AggregateType, "user")
}

func (a *API) eventPage(w http.ResponseWriter, r *http.Request, aggType, what string) error {
	id := mux.Vars(r)["id"]
	limit, err := limitOf(r)
	if err != nil {
		return err
	}
	after, err := seqCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	envs, err := a.events(r.Context(), aggType, id)
	if err != nil {
		return err
	}
	if len(envs) == 0 {
		return notFound(what, id)
	}
	items, next := []Event{}, ""
	for _, env := range envs {
		if env.Seq <= after {
			continue
		}
		if len(items) == limit {
			next = encodeSeqCursor(items[len(items)-1].Seq)
			break
		}
		items = append(items, a.show(env))
	}
	onelogin.WriteJSON(w, http.StatusOK, newPage(items, next))
	return nil
}

// events loads an aggregate's events; an id that cannot name one has none.
func (a *API) events(ctx context.Context, aggType, id string) ([]eventstore.Envelope, error) {
	subject, err := eventstore.Subject(aggType, id)
	if err != nil {
		return nil, nil
	}
	envs, _, err := a.d.Store.Load(ctx, subject)
	return envs, err
}

// show renders an event with the catalogue's decoding of it.
func (a *API) show(env eventstore.Envelope) Event {
	return Show(a.d.Catalogue, env)
}

// seqCursor reads an events cursor: the seq of the last event shown.
func seqCursor(cursor string) (uint64, error) {
	if cursor == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err == nil {
		if n, perr := strconv.ParseUint(string(raw), 10, 64); perr == nil && n > 0 {
			return n, nil
		}
	}
	return 0, badParam("cursor", "not a cursor this API handed out")
}

func encodeSeqCursor(seq uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatUint(seq, 10)))
}
