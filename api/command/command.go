// Package command serves an HTTP request as one load-decide-append command
// over the event store, the one way every API of authtrail writes. The
// request is read once, before the first attempt; the decision runs in
// each attempt of a store transaction (again, on fresh state, after a
// conflict); and the answer is written only once the outcome's events are
// committed, by the commit rule of eventstore.Store.Run.
package command

import (
	"context"
	"net/http"

	"github.com/authtrail/authtrail/eventstore"
)

// Reply is what a command answers once its events are committed.
type Reply struct {
	Status int
	Body   any         // nil: no body
	Header http.Header // added to the response's headers
}

// API is how one HTTP API answers: the metadata of the events its
// requests write, and its reply and error bodies.
type API struct {
	Store *eventstore.Store
	Meta  func(r *http.Request) eventstore.Metadata
	// Reply writes a committed command's answer.
	Reply func(w http.ResponseWriter, r *http.Request, reply Reply)
	// Error writes a refusal (a *domain.Error) or a failure.
	Error func(w http.ResponseWriter, r *http.Request, err error)
}

// Decide is one attempt of a command: it loads through tx, decides, and
// appends through tx. in is what Parse read from the request and inErr its
// refusal of it: the API checks inErr where its contract wants (after the
// refusals of an unknown session or user, for instance).
type Decide[In any] func(ctx context.Context, tx *eventstore.Tx, in In, inErr error) (Reply, error)

// Handler serves requests with parse, run once per request, and decide,
// run in each attempt. decide never sees the request, so a retried
// attempt cannot read it again.
func Handler[In any](api *API, parse func(r *http.Request) (In, error), decide Decide[In]) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in, inErr := parse(r)
		meta := api.Meta(r)
		if a, ok := any(in).(Actor); ok && a.Actor() != "" {
			meta.Actor = a.Actor()
		}
		var out Reply
		err := api.Store.Run(r.Context(), meta, func(tx *eventstore.Tx) error {
			var err error
			out, err = decide(r.Context(), tx, in, inErr)
			return err
		})
		if err != nil {
			api.Error(w, r, err)
			return
		}
		api.Reply(w, r, out)
	}
}

// Actor is implemented by an input that knows who acts, when the API's
// metadata cannot: the client a token request authenticated, say.
type Actor interface{ Actor() string }

// NoInput is the parse of a route without a body or parameters.
func NoInput(*http.Request) (struct{}, error) { return struct{}{}, nil }
