// Package projections builds read models from the event log. Each
// projection reads its events through a durable JetStream consumer of its
// own, whose ack floor is the projection's checkpoint.
package projections

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
)

// Projection folds events into a read model.
type Projection interface {
	// Name names the projection, e.g. "devices": letters, digits, '_', '-'.
	Name() string
	// Version is bumped when the read model's shape changes, so the new
	// version is rebuilt from the first event into a bucket of its own.
	Version() int
	// FilterSubjects selects the events, e.g. "events.user.>".
	FilterSubjects() []string
	// Apply folds one event into the read model. It must be idempotent:
	// records keep the stream sequence of the last event applied to them
	// and skip events at or below it, so a redelivery changes nothing.
	// Events of types it does not know it ignores, returning nil (Decode
	// tells them apart). An error wrapping ErrPermanent halts the
	// projection; any other error is retried later.
	Apply(ctx context.Context, env eventstore.Envelope) error
}

// ErrPermanent marks an error that retrying cannot fix, such as a payload
// that does not decode. The runner halts on it rather than skip the event,
// because a skipped event silently corrupts the read model.
var ErrPermanent = errors.New("projections: permanent error")

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ConsumerName is the durable consumer of p: proj_<name>_v<version>.
func ConsumerName(p Projection) string {
	return fmt.Sprintf("proj_%s_v%d", p.Name(), p.Version())
}

func validate(p Projection) error {
	if !namePattern.MatchString(p.Name()) {
		return fmt.Errorf("projections: name %q: use letters, digits, '_' and '-'", p.Name())
	}
	if p.Version() < 1 {
		return fmt.Errorf("projections: %s: version %d: start at 1", p.Name(), p.Version())
	}
	if len(p.FilterSubjects()) == 0 {
		return fmt.Errorf("projections: %s: no filter subjects", p.Name())
	}
	return nil
}

// Decode turns env into its event with reg. known is false for event types
// reg does not hold: the projection has no use for them and ignores them.
// A payload of a known type that does not decode, or was written in
// another schema version than this build reads, is an ErrPermanent error.
func Decode(reg domain.Registry, env eventstore.Envelope) (ev domain.Event, known bool, err error) {
	if _, known = reg[env.Type]; !known {
		return nil, false, nil
	}
	ev, err = reg.Decode(env.Type, env.Data)
	if err != nil {
		return nil, true, fmt.Errorf("%w: event %d (%s): %v", ErrPermanent, env.Seq, env.Subject, err)
	}
	if want := schemaOf(ev); env.Schema != want {
		return nil, true, fmt.Errorf("%w: event %d (%s): %s schema %d, this build reads schema %d",
			ErrPermanent, env.Seq, env.Subject, env.Type, env.Schema, want)
	}
	return ev, true, nil
}

// schemaOf is the schema version the event's Go type has, as the store
// records it.
func schemaOf(ev domain.Event) int {
	if v, ok := ev.(interface{ SchemaVersion() int }); ok {
		return v.SchemaVersion()
	}
	return eventstore.DefaultSchema
}
