package devices

import (
	"context"
	"fmt"
	"time"

	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
)

// change is what one event does to its user's devices.
type change func(ctx context.Context, b *batch, env eventstore.Envelope) error

// changeFor is what env does to its user's devices: nil for events that do
// not touch them.
func changeFor(env eventstore.Envelope) (change, error) {
	ev, known, err := projections.Decode(user.Events, env)
	if err != nil || !known {
		return nil, err
	}
	var c change
	switch e := ev.(type) {
	case *user.MFAFactorAdded:
		c = added(e.Factor)
	case *user.MFAFactorRemoved:
		c = func(ctx context.Context, b *batch, env eventstore.Envelope) error {
			return b.exec(ctx, `DELETE FROM %s WHERE user_id = ? AND id = ?`, env.AggID, e.FactorID)
		}
	case *user.TotpStepUsed:
		c = used(e.FactorID, e.At)
	case *user.WebAuthnUsed:
		c = used(e.FactorID, e.At)
	case *user.BackupCodeUsed:
		c = used(e.FactorID, e.At)
	default:
		return nil, nil
	}
	if env.AggID == "" {
		return nil, fmt.Errorf("%w: devices: event %d (%s) names no user", projections.ErrPermanent, env.Seq, env.Type)
	}
	return c, nil
}

// added stores the factor's public fields; its secrets stay behind. A user
// has one backup-code factor, so a new one replaces the previous (as in the
// user aggregate).
func added(f user.Factor) change {
	return func(ctx context.Context, b *batch, env eventstore.Envelope) error {
		if f.Type == user.FactorBackupCode {
			if err := b.exec(ctx, `DELETE FROM %s WHERE user_id = ? AND type = ?`, env.AggID, user.FactorBackupCode); err != nil {
				return err
			}
		}
		var lastUsed *int64
		if !f.LastUsedAt.IsZero() {
			n := f.LastUsedAt.UnixNano()
			lastUsed = &n
		}
		return b.exec(ctx, `INSERT OR REPLACE INTO %s (user_id, id, type, name, created_at, last_used_at, added_seq) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			env.AggID, f.ID, f.Type, f.Name, f.CreatedAt.UnixNano(), lastUsed, env.Seq)
	}
}

// used sets the factor's last use; events without a time use the event's.
func used(factorID string, at time.Time) change {
	return func(ctx context.Context, b *batch, env eventstore.Envelope) error {
		if at.IsZero() {
			at = env.Time
		}
		return b.exec(ctx, `UPDATE %s SET last_used_at = ? WHERE user_id = ? AND id = ?`, at.UnixNano(), env.AggID, factorID)
	}
}
