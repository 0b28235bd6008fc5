// Package devices projects each user's MFA factors into a read model for
// the MFA API and admin lists. It holds no secrets: no TOTP secret, public
// key or backup-code hash.
package devices

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
)

// Name names the projection; Shape is bumped when its tables change.
const (
	Name  = "devices"
	Shape = 1
)

// Device is one of a user's MFA factors.
type Device struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"` // user.FactorTotp, user.FactorWebAuthn, ...
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

// Projection maintains the devices read model. It implements
// projections.Projection.
type Projection struct{}

// New returns the projection.
func New() Projection { return Projection{} }

func (Projection) Name() string { return Name }
func (Projection) Shape() int   { return Shape }

// Create makes the tables: the devices, and each user's last event applied
// (the guard that makes a redelivery harmless).
func (Projection) Create(ctx context.Context, tx *sql.Tx, t projections.Tables) error {
	_, err := tx.ExecContext(ctx, fmt.Sprintf(`
CREATE TABLE %[1]s (
	user_id      TEXT    NOT NULL,
	id           TEXT    NOT NULL,
	type         TEXT    NOT NULL,
	name         TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	added_seq    INTEGER NOT NULL,
	PRIMARY KEY (user_id, id)
);
CREATE TABLE %[2]s (user_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);`,
		t.Table("device"), t.Table("user")))
	return err
}

// Model reads the live version of the read model.
type Model struct{ Host *projections.Host }

// List returns the user's devices in the order they were added; none for
// a user the read model does not know.
func (m Model) List(ctx context.Context, userID string) ([]Device, error) {
	list := []Device{}
	err := m.Host.Read(Name, func(db *sql.DB, t projections.Tables, _ uint64) error {
		rows, err := db.QueryContext(ctx, fmt.Sprintf(
			`SELECT id, type, name, created_at, last_used_at FROM %s WHERE user_id = ? ORDER BY added_seq, id`, t.Table("device")), userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d Device
			var created int64
			var used sql.NullInt64
			if err := rows.Scan(&d.ID, &d.Type, &d.Name, &created, &used); err != nil {
				return err
			}
			d.CreatedAt = time.Unix(0, created).UTC()
			if used.Valid {
				at := time.Unix(0, used.Int64).UTC()
				d.LastUsedAt = &at
			}
			list = append(list, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("devices: list user %s: %w", userID, err)
	}
	return list, nil
}

// WaitFor waits until the read model has processed the log up to seq.
func (m Model) WaitFor(ctx context.Context, seq uint64) error { return m.Host.WaitFor(ctx, Name, seq) }

// Begin starts a batch.
func (Projection) Begin(_ context.Context, tx *sql.Tx, t projections.Tables) (projections.Batch, error) {
	return &batch{tx: tx, t: t}, nil
}

type batch struct {
	tx *sql.Tx
	t  projections.Tables
}

func (b *batch) Flush(context.Context) error { return nil }

// Apply folds one user event into the user's devices.
func (b *batch) Apply(ctx context.Context, env eventstore.Envelope) error {
	if env.AggType != user.AggregateType {
		return nil
	}
	change, err := changeFor(env)
	if err != nil || change == nil {
		return err
	}
	var last int64
	err = b.tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT last_seq FROM %s WHERE user_id = ?`, b.t.Table("user")), env.AggID).Scan(&last)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return err
	case uint64(last) >= env.Seq:
		return nil // applied before
	}
	if err := change(ctx, b, env); err != nil {
		return err
	}
	_, err = b.tx.ExecContext(ctx, fmt.Sprintf(
		`INSERT INTO %s (user_id, last_seq) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET last_seq = excluded.last_seq`,
		b.t.Table("user")), env.AggID, env.Seq)
	return err
}

func (b *batch) exec(ctx context.Context, query string, args ...any) error {
	_, err := b.tx.ExecContext(ctx, fmt.Sprintf(query, b.t.Table("device")), args...)
	return err
}
