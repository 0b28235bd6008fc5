// Package devices projects each user's MFA factors into a read model for
// the MFA API and admin lists. It holds no secrets: no TOTP secret, public
// key or backup-code hash.
package devices

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
)

// Name and Version name the projection's consumer and bucket.
const (
	Name    = "devices"
	Version = 1
)

// Bucket is the read model's KV bucket, rm_<Name>_v<Version>; the key is
// the user id.
const Bucket = "rm_devices_v1"

// maxUpdateAttempts bounds compare-and-set retries of one record. A write
// conflicts only with a stale replica read or an event redelivered to a
// second process after AckWait, so a few attempts are plenty; after them
// the runner retries the event later.
const maxUpdateAttempts = 10

// Device is one of a user's MFA factors.
type Device struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"` // user.FactorTotp, user.FactorWebAuthn, ...
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

// record is a user's stored value.
type record struct {
	UserID string `json:"userId"`
	// LastSeq is the stream sequence of the last event applied, so a
	// redelivered event is recognised and skipped.
	LastSeq uint64   `json:"lastSeq"`
	Devices []Device `json:"devices"`
}

// Projection maintains the devices read model. It implements
// projections.Projection.
type Projection struct {
	kv jetstream.KeyValue
}

// New creates or updates the read model's bucket with replicas replicas
// (the event stream's count).
func New(ctx context.Context, js jetstream.JetStream, replicas int) (*Projection, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "MFA devices per user, projected from the event log",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("devices: bucket %s: %w", Bucket, err)
	}
	return &Projection{kv: kv}, nil
}

// Name, Version and FilterSubjects describe the projection to the runner.
func (p *Projection) Name() string { return Name }
func (p *Projection) Version() int { return Version }
func (p *Projection) FilterSubjects() []string {
	return []string{eventstore.SubjectPrefix + "." + user.AggregateType + ".>"}
}

// List returns the user's devices in the order they were added; none for
// a user the read model does not know.
func (p *Projection) List(ctx context.Context, userID string) ([]Device, error) {
	rec, _, err := p.load(ctx, userID)
	if err != nil {
		return nil, err
	}
	return rec.Devices, nil
}

// Apply folds one user event into the user's record.
func (p *Projection) Apply(ctx context.Context, env eventstore.Envelope) error {
	change, err := changeFor(env)
	if err != nil || change == nil {
		return err
	}
	for range maxUpdateAttempts {
		rec, rev, err := p.load(ctx, env.AggID)
		if err != nil {
			return err
		}
		if env.Seq <= rec.LastSeq {
			return nil // applied before: a redelivery
		}
		change(&rec)
		rec.UserID, rec.LastSeq = env.AggID, env.Seq
		err = p.store(ctx, rec, rev)
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return err
		}
		// Another writer got in between: apply to its version instead.
	}
	return fmt.Errorf("devices: user %s: record kept changing; %d attempts", env.AggID, maxUpdateAttempts)
}

// load reads a user's record and its revision; revision 0 means absent.
func (p *Projection) load(ctx context.Context, userID string) (record, uint64, error) {
	entry, err := p.kv.Get(ctx, userID)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return record{UserID: userID, Devices: []Device{}}, 0, nil
	}
	if err != nil {
		return record{}, 0, fmt.Errorf("devices: get user %s: %w", userID, err)
	}
	var rec record
	if err := json.Unmarshal(entry.Value(), &rec); err != nil {
		return record{}, 0, fmt.Errorf("%w: devices: record of user %s: %v", projections.ErrPermanent, userID, err)
	}
	if rec.Devices == nil {
		rec.Devices = []Device{}
	}
	return rec, entry.Revision(), nil
}

// store writes rec if the record is still at revision rev.
func (p *Projection) store(ctx context.Context, rec record, rev uint64) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("devices: encode user %s: %w", rec.UserID, err)
	}
	if rev == 0 {
		_, err = p.kv.Create(ctx, rec.UserID, data)
	} else {
		_, err = p.kv.Update(ctx, rec.UserID, data, rev)
	}
	if err != nil {
		return fmt.Errorf("devices: write user %s: %w", rec.UserID, err)
	}
	return nil
}
