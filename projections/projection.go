// Package projections builds read models from the event log (docs/audit.md,
// Projections). Every read model lives in one SQLite database per process;
// each projection reads the whole log through a durable JetStream consumer
// of its own and commits its checkpoint, the last stream sequence it
// processed, in the same SQLite transaction as the rows it wrote, so the two
// cannot drift. Versions are numbered: version N+1 is built beside N and
// readers switch when it has caught up (Host.Rebuild).
package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
)

// Projection folds events into tables of its own.
type Projection interface {
	// Name names the projection, e.g. "devices": lower-case letters,
	// digits and '_'.
	Name() string
	// Shape is bumped when the tables change: a stored version of another
	// shape is dropped and built again from the first event.
	Shape() int
	// Create makes the tables of a version, named with t.Table.
	Create(ctx context.Context, tx *sql.Tx, t Tables) error
	// Begin starts applying a batch of events, oldest first, in tx. The
	// host commits tx with the checkpoint after Flush.
	Begin(ctx context.Context, tx *sql.Tx, t Tables) (Batch, error)
}

// Batch applies events inside one transaction.
type Batch interface {
	// Apply folds one event. It must be idempotent: rows keep the stream
	// sequence of the last event applied to them and skip events at or
	// below it. Events it has no use for it ignores, returning nil. An
	// error wrapping ErrPermanent halts the projection at the event; any
	// other error rolls the batch back and retries it later.
	Apply(ctx context.Context, env eventstore.Envelope) error
	// Flush writes what Apply kept in memory.
	Flush(ctx context.Context) error
}

// An Indexer has indexes that only its readers use. A version gets them
// when it first reaches the end of the log: building an index over the
// finished table costs far less than keeping it up to date row by row
// through a rebuild of the whole log. Until then queries on the version
// scan its table. CreateIndexes must be idempotent (CREATE INDEX IF NOT
// EXISTS): every run of a version calls it once.
type Indexer interface {
	CreateIndexes(ctx context.Context, tx *sql.Tx, t Tables) error
}

// A Resetter drops what a projection keeps in memory across batches, after
// a batch was rolled back.
type Resetter interface{ Reset(t Tables) }

// ErrPermanent marks an error that retrying cannot fix, such as a payload
// that does not decode. The host halts the projection rather than skip the
// event, because a skipped event silently corrupts the read model.
var ErrPermanent = errors.New("projections: permanent error")

// Tables names the tables of one version of a projection:
// <name>_v<version>_<table>.
type Tables struct {
	Name    string
	Version int
}

// Table is the name of one of the version's tables.
func (t Tables) Table(table string) string {
	return fmt.Sprintf("%s_v%d_%s", t.Name, t.Version, table)
}

// prefix is what every table of the version starts with.
func (t Tables) prefix() string { return fmt.Sprintf("%s_v%d_", t.Name, t.Version) }

// consumer is the version's durable consumer in this process's database:
// proj_<name>_v<version>_<instance>.
func (t Tables) consumer(instance string) string {
	return fmt.Sprintf("proj_%s_v%d_%s", t.Name, t.Version, instance)
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func validate(p Projection) error {
	if !namePattern.MatchString(p.Name()) {
		return fmt.Errorf("projections: name %q: use lower-case letters, digits and '_'", p.Name())
	}
	if p.Shape() < 1 {
		return fmt.Errorf("projections: %s: shape %d: start at 1", p.Name(), p.Shape())
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
