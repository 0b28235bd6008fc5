package experience

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/command"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

// Step is one request against an existing interaction, inside one attempt
// of its command: the interaction as loaded, and the transaction to append
// through.
type Step struct {
	ID      string
	Subject string
	State   interaction.State
	Tx      *eventstore.Tx
	// client is the request's client address (limits.trustedProxies).
	client string
	// failedVerification: the step settled a failed verification, which
	// the client's failed-attempt limit counts once it commits.
	failedVerification bool
}

// Append queues success events of the interaction.
func (s *Step) Append(events ...domain.Event) { s.Tx.Append(s.Subject, events...) }

// In is how a use recorded on the user names this step's interaction.
func (s *Step) In() user.UseIn { return s.State.In(s.ID) }

// Failure queues the interaction's record of a refusal, instead of the
// generic interaction.request.failed.
func (s *Step) Failure(events ...domain.Event) { s.Tx.Failure(s.Subject, events...) }

// Reply is what a step answers once its events are committed.
type Reply = command.Reply

// Decide is one attempt of a step on the parsed request.
type Decide[In any] func(ctx context.Context, s *Step, in In) (Reply, error)

// stepInput is what a step reads from its request: the interaction cookie
// and the parsed body.
type stepInput[In any] struct {
	id     string
	client string
	in     In
}

// Route mounts a step of the interaction: method and path under
// /api/experience, served by handle. The step's name, which refusals
// record, is its path with dots: /verification/totp/verify is
// verification.totp.verify.
func Route[In any](r *mux.Router, h *Handler, method, path string, parse func(*http.Request) (In, error), decide Decide[In]) {
	mount(r, h, method, path, parse, decide, false)
}

// VerifyRoute mounts a step that verifies a credential (a password, a code,
// a TOTP, a passkey, a backup code): like Route, but a client whose failed
// verifications used up its limit is refused up front, with 429 and
// nothing recorded, so a throttled client can neither make the server
// fold its interaction nor grow the log. (The sentinel guard checks the
// limit again, for a verification mounted with Route.)
func VerifyRoute[In any](r *mux.Router, h *Handler, method, path string, parse func(*http.Request) (In, error), decide Decide[In]) {
	mount(r, h, method, path, parse, decide, true)
}

func mount[In any](r *mux.Router, h *Handler, method, path string, parse func(*http.Request) (In, error), decide Decide[In], verifies bool) {
	name := strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", ".")
	r.HandleFunc(path, handle(h, name, parse, decide, verifies, h.interactionID)).Methods(method)
}

// RouteWithout mounts a step reached without the interaction cookie (a
// SAML assertion consumer service, which an IdP's cross-site POST reaches
// without it): interactionOf names the interaction from the request, and
// the step is named name. r is the root router.
func RouteWithout[In any](r *mux.Router, h *Handler, method, path, name string, interactionOf func(*http.Request) string,
	parse func(*http.Request) (In, error), decide Decide[In]) {
	r.HandleFunc(path, handle(h, name, parse, decide, false, interactionOf)).Methods(method)
}

// Unrecorded answers err without recording it on the interaction, like a
// refusal found before the interaction is usable: for a request that does
// not prove it belongs to the interaction it names.
func Unrecorded(err error) error { return sessionError{err} }

// handle serves a step against the request's interaction. parse reads the
// request once; decide runs in each attempt on the freshly loaded
// interaction. Every refusal is recorded on the interaction: decide's own
// failure events, else interaction.request.failed naming the step (name)
// and the code; nothing decide appended for success commits with it.
func handle[In any](h *Handler, name string, parse func(*http.Request) (In, error), decide Decide[In], verifies bool,
	interactionOf func(*http.Request) string) http.HandlerFunc {
	return command.Handler(h.api, func(r *http.Request) (stepInput[In], error) {
		in, err := parse(r)
		return stepInput[In]{id: interactionOf(r), client: httpx.ClientIP(r, h.cfg.TrustedProxies), in: in}, err
	}, func(ctx context.Context, tx *eventstore.Tx, in stepInput[In], inErr error) (Reply, error) {
		if in.id == "" {
			return Reply{}, sessionError{domain.E("session.not_found")}
		}
		s := &Step{ID: in.id, Subject: eventstore.MustSubject(interaction.AggregateType, in.id), Tx: tx, client: in.client}
		if verifies {
			if err := h.refuseFailingClient(ctx, s); err != nil {
				return Reply{}, sessionError{err}
			}
		}
		if err := h.loadInteraction(ctx, s); err != nil {
			return Reply{}, err
		}
		out, err := Reply{}, inErr
		if err == nil {
			out, err = decide(ctx, s, in.in)
		}
		if e, ok := domain.AsError(err); ok && !tx.HasFailure(s.Subject) {
			s.Failure(&interaction.RequestFailed{Step: name, Code: e.Code, Status: e.Status})
		}
		if s.failedVerification {
			h.countFailure(ctx, s.client)
		}
		return out, err
	})
}

// NoBody is the parse of a route that reads no body.
func NoBody(*http.Request) (struct{}, error) { return struct{}{}, nil }

// loadInteraction folds the interaction and refuses one that is unknown,
// expired, consumed by a submit (session.not_found) or cleared by a
// forgot-password submit (session.interaction_not_found).
func (h *Handler) loadInteraction(ctx context.Context, s *Step) error {
	envs, err := s.Tx.Load(ctx, s.Subject)
	if err != nil {
		return err
	}
	events, err := eventstore.Decode(envs, h.events)
	if err != nil {
		return err
	}
	s.State = interaction.Fold(events)
	return h.usable(s.State)
}

// usable refuses an interaction no request may act on.
func (h *Handler) usable(st interaction.State) error {
	switch {
	case st.Cleared:
		return sessionError{domain.E("session.interaction_not_found")}
	case !st.Active(h.clock.Now()):
		return sessionError{domain.E("session.not_found")}
	}
	return nil
}

// sessionError wraps refusals found before the interaction is usable (or
// before it is loaded, for a throttled client): they are answered but not
// recorded, so a stale cookie cannot write events. It hides them from the
// store on purpose (no Unwrap): Run commits nothing for them.
type sessionError struct{ err error }

func (e sessionError) Error() string { return e.err.Error() }

// api is how the Experience API answers its commands.
func (h *Handler) commandAPI() *command.API {
	return &command.API{
		Store: h.store,
		Meta: func(r *http.Request) eventstore.Metadata {
			return h.meta(r, h.interactionID(r))
		},
		Reply: func(w http.ResponseWriter, _ *http.Request, out Reply) {
			for k, v := range out.Header {
				w.Header()[k] = v
			}
			if out.Body == nil {
				w.WriteHeader(out.Status)
				return
			}
			httpx.JSON(w, out.Status, out.Body)
		},
		Error: func(w http.ResponseWriter, r *http.Request, err error) {
			err = storeError(err)
			domain.SetRetryAfter(w.Header(), err)
			httpx.Error(w, r, h.log, err)
		},
	}
}

// storeError maps what Run returned to what the client sees.
func storeError(err error) error {
	var se sessionError
	if errors.As(err, &se) {
		return se.err
	}
	if errors.Is(err, eventstore.ErrConflict) {
		return domain.E("request.conflict")
	}
	return err
}

func (h *Handler) meta(r *http.Request, interactionID string) eventstore.Metadata {
	return eventstore.Metadata{
		Time:          h.clock.Now(),
		Actor:         "interaction:" + interactionID,
		CorrelationID: r.Header.Get("X-Request-Id"),
	}
}
