// Package webhooks projects every webhook delivery attempt into a list per
// hook, newest first, for GET /api/admin/webhooks/{id}/deliveries.
package webhooks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/authtrail/authtrail/domain/webhook"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/projections/interactions"
)

// Name names the projection; Shape is bumped when its table changes.
const (
	Name  = "webhooks"
	Shape = 1
)

// Attempt is one delivery attempt as the admin API lists it.
type Attempt struct {
	WebhookID  string            `json:"webhookId"`
	DeliveryID string            `json:"deliveryId"`
	Event      string            `json:"event"`
	Attempt    int               `json:"attempt"`
	At         interactions.Time `json:"at"`
	Status     *int              `json:"status"`
	Error      *string           `json:"error"`
	DurationMs int64             `json:"durationMs"`
	seq        uint64
}

// Projection maintains the attempts. It implements projections.Projection.
type Projection struct{}

func (Projection) Name() string { return Name }
func (Projection) Shape() int   { return Shape }

// Create makes the attempts table, keyed by the event's sequence.
func (Projection) Create(ctx context.Context, tx *sql.Tx, t projections.Tables) error {
	_, err := tx.ExecContext(ctx, fmt.Sprintf(`
CREATE TABLE %[1]s (
	seq         INTEGER PRIMARY KEY,
	hook_id     TEXT    NOT NULL,
	delivery_id TEXT    NOT NULL,
	event       TEXT    NOT NULL,
	attempt     INTEGER NOT NULL,
	at          INTEGER NOT NULL,
	status      INTEGER,
	error       TEXT,
	duration_ms INTEGER NOT NULL
);
CREATE INDEX %[1]s_hook ON %[1]s (hook_id, seq DESC);`, t.Table("attempt")))
	return err
}

// Begin starts a batch.
func (Projection) Begin(_ context.Context, tx *sql.Tx, t projections.Tables) (projections.Batch, error) {
	return batch{tx: tx, t: t}, nil
}

type batch struct {
	tx *sql.Tx
	t  projections.Tables
}

func (batch) Flush(context.Context) error { return nil }

// Apply records an attempt; the sequence as key makes a redelivery change
// nothing.
func (b batch) Apply(ctx context.Context, env eventstore.Envelope) error {
	if env.AggType != webhook.AggregateType {
		return nil
	}
	ev, known, err := projections.Decode(webhook.Events, env)
	if err != nil || !known {
		return err
	}
	a, ok := ev.(*webhook.Attempted)
	if !ok {
		return nil
	}
	at := a.At
	if at.IsZero() {
		at = env.Time
	}
	_, err = b.tx.ExecContext(ctx, `INSERT OR IGNORE INTO `+b.t.Table("attempt")+
		` (seq, hook_id, delivery_id, event, attempt, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		env.Seq, a.HookID, env.AggID, a.Event, a.Attempt, at.UnixMilli(), a.Status, a.Error, a.DurationMs)
	return err
}

// Model reads the live version.
type Model struct{ Host *projections.Host }

// List returns a hook's attempts newest first, at most limit, before the
// attempt at sequence before (0: from the newest); next is the sequence to
// pass for the next page, 0 after the last.
func (m Model) List(ctx context.Context, hookID string, limit int, before uint64) (items []Attempt, next uint64, err error) {
	err = m.Host.Read(Name, func(db *sql.DB, t projections.Tables, _ uint64) error {
		q := `SELECT seq, hook_id, delivery_id, event, attempt, at, status, error, duration_ms FROM ` + t.Table("attempt") +
			` WHERE hook_id = ? AND (? = 0 OR seq < ?) ORDER BY seq DESC LIMIT ?`
		rows, err := db.QueryContext(ctx, q, hookID, before, before, limit+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a Attempt
			var at int64
			var status sql.NullInt64
			var msg sql.NullString
			if err := rows.Scan(&a.seq, &a.WebhookID, &a.DeliveryID, &a.Event, &a.Attempt, &at, &status, &msg, &a.DurationMs); err != nil {
				return err
			}
			a.At = interactions.At(time.UnixMilli(at).UTC())
			if status.Valid {
				s := int(status.Int64)
				a.Status = &s
			}
			if msg.Valid {
				a.Error = &msg.String
			}
			items = append(items, a)
		}
		return rows.Err()
	})
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("webhooks: list %s: %w", hookID, err)
	}
	if len(items) > limit {
		items = items[:limit]
		next = items[len(items)-1].seq
	}
	if items == nil {
		items = []Attempt{}
	}
	return items, next, nil
}
