package experience

import (
	"context"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/user"
)

// A Method is one authentication method of the Experience API, in a
// package of its own under api/experience (as Ory Kratos has a strategy per
// method): its verification record (an interaction.Record) and the events
// that build it (interaction.RecordEvent), its decisions, and its routes.
// What a record can do is said by the interfaces it implements:
// interaction.Identifying identifies a user, interaction.ProfileSource
// stages a profile, interaction.MFAProof proves a factor,
// interaction.Bindable holds a factor to bind. Registering a method is one
// line in api/stack.go; docs/architecture.md lists the files of one.
type Method interface {
	// Events decodes the method's interaction events.
	Events() domain.Registry
	// Mount adds the method's routes to r, the /api/experience subrouter,
	// each served with Handle.
	Mount(h *Handler, r *mux.Router)
}

// A Binder is a Method that binds MFA factors at POST /profile/mfa.
type Binder interface {
	Method
	// Factors are the MFA factor types it binds (the body's "type").
	Factors() []string
	// Bind decides binding factor from record verificationID, once
	// interaction.GuardBinding passed: the method's checks, then
	// interaction.Bound.
	Bind(ctx context.Context, s *Step, u *user.State, factor, verificationID string) ([]domain.Event, error)
}

// A UseAdopter is a Binder whose verifications of the user's factor are
// recorded on the user alone (user.Use, claimed there; nothing written on
// the interaction): it turns such a use into the record event the
// interaction folds (interaction.State.Adopt), which the interaction's
// next success appends.
type UseAdopter interface {
	Binder
	AdoptUse(use user.Use, userID string) interaction.RecordEvent
}

// A RootMounter is a Method that also serves routes outside
// /api/experience (the SAML assertion consumer service and metadata of
// enterprise SSO, under /api/authn).
type RootMounter interface {
	Method
	// MountRoot adds them to r, the server's root router.
	MountRoot(h *Handler, r *mux.Router)
}
