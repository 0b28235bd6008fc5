package experience

import (
	"context"
	"errors"
	"net/http"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/eventstore"
)

// step is one request against an existing interaction, run inside an event
// store transaction (and re-run on a concurrent change).
type step struct {
	ID      string
	Subject string
	State   interaction.State
	tx      *eventstore.Tx
	// failureRecorded: the step appended its own failure event.
	failureRecorded bool
}

// reply is what a step answers on success.
type reply struct {
	status int
	body   any // nil: no body
}

func (s *step) append(events ...domain.Event) { s.tx.Append(s.Subject, events...) }

// recordFailure appends a specific failure event instead of the generic one.
func (s *step) recordFailure(events ...domain.Event) {
	s.append(events...)
	s.failureRecorded = true
}

// serve runs fn against the request's interaction. Every business error is
// recorded as an event of the interaction; nothing else the failed step
// appended is written unless fn chose to keep it (spec §2.2).
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, name string, fn func(ctx context.Context, s *step) (reply, error)) {
	id := h.interactionID(r)
	if id == "" {
		httpx.Error(w, r, h.log, domain.E("session.not_found"))
		return
	}
	var out reply
	err := h.store.Run(r.Context(), h.meta(r, id), func(tx *eventstore.Tx) error {
		s := &step{ID: id, Subject: eventstore.MustSubject(interaction.AggregateType, id), tx: tx}
		if err := h.loadInteraction(r.Context(), s); err != nil {
			return err
		}
		var err error
		out, err = fn(r.Context(), s)
		if e, ok := domain.AsError(err); ok && !s.failureRecorded {
			s.append(&interaction.RequestFailed{Step: name, Code: e.Code, Status: e.Status})
		}
		return err
	})
	if err != nil {
		httpx.Error(w, r, h.log, storeError(err))
		return
	}
	if out.body == nil {
		w.WriteHeader(out.status)
		return
	}
	httpx.JSON(w, out.status, out.body)
}

// loadInteraction folds the interaction and refuses one that is unknown,
// expired, consumed by a submit (session.not_found) or cleared by a
// forgot-password submit (session.interaction_not_found).
func (h *Handler) loadInteraction(ctx context.Context, s *step) error {
	envs, err := s.tx.Load(ctx, s.Subject)
	if err != nil {
		return err
	}
	events, err := eventstore.Decode(envs, interaction.Events)
	if err != nil {
		return err
	}
	s.State = interaction.Fold(events)
	switch {
	case s.State.Cleared:
		return sessionError{domain.E("session.interaction_not_found")}
	case !s.State.Active(h.clock.Now()):
		return sessionError{domain.E("session.not_found")}
	}
	return nil
}

// sessionError wraps errors found before the interaction is usable: they
// are answered but not recorded, so a stale cookie cannot write events.
type sessionError struct{ err *domain.Error }

func (e sessionError) Error() string { return e.err.Error() }

// storeError maps what Run returned to what the client sees.
func storeError(err error) error {
	if se, ok := err.(sessionError); ok {
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
