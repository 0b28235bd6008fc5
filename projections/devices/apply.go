package devices

import (
	"fmt"
	"slices"
	"time"

	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
)

// changeFor is what env does to its user's record: nil for events that do
// not touch the devices.
func changeFor(env eventstore.Envelope) (func(*record), error) {
	ev, known, err := projections.Decode(user.Events, env)
	if err != nil || !known {
		return nil, err
	}
	var change func(*record)
	switch e := ev.(type) {
	case *user.MFAFactorAdded:
		change = added(deviceOf(e.Factor))
	case *user.MFAFactorRemoved:
		change = func(r *record) { r.Devices = slices.DeleteFunc(r.Devices, hasID(e.FactorID)) }
	case *user.TotpStepUsed:
		change = used(e.FactorID, e.At, env)
	case *user.WebAuthnUsed:
		change = used(e.FactorID, e.At, env)
	case *user.BackupCodeUsed:
		change = used(e.FactorID, e.At, env)
	default:
		return nil, nil
	}
	if env.AggID == "" {
		return nil, fmt.Errorf("%w: devices: event %d (%s) names no user", projections.ErrPermanent, env.Seq, env.Type)
	}
	return change, nil
}

// deviceOf copies the factor's public fields; its secrets stay behind.
func deviceOf(f user.Factor) Device {
	d := Device{ID: f.ID, Type: f.Type, Name: f.Name, CreatedAt: f.CreatedAt}
	if !f.LastUsedAt.IsZero() {
		at := f.LastUsedAt
		d.LastUsedAt = &at
	}
	return d
}

// added appends d. A user has one backup-code factor, so a new one replaces
// the previous (as in the user aggregate).
func added(d Device) func(*record) {
	return func(r *record) {
		if d.Type == user.FactorBackupCode {
			r.Devices = slices.DeleteFunc(r.Devices, func(old Device) bool { return old.Type == user.FactorBackupCode })
		}
		r.Devices = append(slices.DeleteFunc(r.Devices, hasID(d.ID)), d)
	}
}

// used sets the factor's last use; events without a time use the event's.
func used(factorID string, at time.Time, env eventstore.Envelope) func(*record) {
	if at.IsZero() {
		at = env.Time
	}
	return func(r *record) {
		for i := range r.Devices {
			if r.Devices[i].ID == factorID {
				r.Devices[i].LastUsedAt = &at
			}
		}
	}
}

func hasID(id string) func(Device) bool {
	return func(d Device) bool { return d.ID == id }
}
