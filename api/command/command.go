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

	"github.com/authtrail/authtrail/domain"

	"github.com/authtrail/authtrail/eventstore"
)

// Reply is what a command answers once its events are committed.
type Reply struct {
	Status int
	Body   any         // nil: no body
	Header http.Header // added to the response's headers
	// Then, when set, is the answer's second half: the Handler calls it
	// once the command committed, and answers what it returns. A reply
	// that waits for what the commit set off (a worker's outcome) uses it.
	Then func(ctx context.Context) (Reply, error)
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
		fx := &effects{}
		ctx := context.WithValue(r.Context(), effectsKey{}, fx)
		err := api.Store.Run(ctx, meta, func(tx *eventstore.Tx) error {
			fx.reset() // only the attempt that commits has effects
			var err error
			out, err = decide(ctx, tx, in, inErr)
			return err
		})
		fx.run(r.Context(), err)
		if err == nil && out.Then != nil {
			out, err = out.Then(r.Context())
		}
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

// Effects outside the log (a shared rate limit spent, a client remembered)
// must follow what the log committed, and happen once per request however
// many attempts decided it. A decision registers them with OnSuccess or
// OnRefusal on its context; the Handler runs those of the attempt that
// committed, after the commit and before the answer.

type effectsKey struct{}

type effects struct{ success, refusal []func(context.Context) }

func (fx *effects) reset() { fx.success, fx.refusal = nil, nil }

// run runs the effects matching what Run committed: success effects on
// success, refusal effects on a refusal (whose failure events committed);
// none when nothing committed.
func (fx *effects) run(ctx context.Context, err error) {
	list := fx.success
	if err != nil {
		list = nil
		if _, refused := domain.AsError(err); refused {
			list = fx.refusal
		}
	}
	for _, f := range list {
		f(ctx)
	}
}

// OnSuccess runs f once the command's success has committed.
func OnSuccess(ctx context.Context, f func(context.Context)) {
	if fx, ok := ctx.Value(effectsKey{}).(*effects); ok {
		fx.success = append(fx.success, f)
	}
}

// OnRefusal runs f once the command's refusal has committed.
func OnRefusal(ctx context.Context, f func(context.Context)) {
	if fx, ok := ctx.Value(effectsKey{}).(*effects); ok {
		fx.refusal = append(fx.refusal, f)
	}
}
