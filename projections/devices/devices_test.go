package devices_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections/devices"
	"github.com/authtrail/authtrail/projections/internal/projtest"
)

var (
	t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Hour)
	t2 = t0.Add(2 * time.Hour)
	t3 = t0.Add(3 * time.Hour)
)

// Factors as the domain stores them, secrets included, so the tests can
// check none reaches the read model.
func totpFactor(id string) user.Factor {
	return user.Factor{ID: id, Type: user.FactorTotp, CreatedAt: t0,
		Secret: &user.Sealed{KeyID: "k1", Box: "sealed-totp-secret"}}
}

func webAuthnFactor(id, name string) user.Factor {
	return user.Factor{ID: id, Type: user.FactorWebAuthn, Name: name, CreatedAt: t0,
		CredentialID: "credential-id", PublicKey: []byte("public-key"), RPID: "example.com"}
}

func backupCodeFactor(id string, createdAt time.Time) user.Factor {
	return user.Factor{ID: id, Type: user.FactorBackupCode, CreatedAt: createdAt,
		Codes: []user.BackupCode{{Hash: user.CodeHash{KeyID: "k1", Sum: "code-hash"}}}}
}

// project appends the events to the user, waits until the projection
// has applied them and returns the user's devices.
func project(t *testing.T, env projtest.Env, userID string, events ...domain.Event) []devices.Device {
	t.Helper()
	appended := projtest.AppendUser(t, env.Store, userID, events...)
	ctx := projtest.Context(t)
	if err := env.Runner.WaitFor(ctx, env.Devices, appended[len(appended)-1].Seq); err != nil {
		t.Fatal(err)
	}
	list, err := env.Devices.List(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestListShowsEachFactorWithItsLastUse(t *testing.T) {
	env := projtest.NewEnv(t)
	projtest.Start(t, env.Runner, env.Devices)

	list := project(t, env, "u1",
		&user.Registered{UserID: "u1", Username: "ann", CreatedAt: t0},
		&user.MFAFactorAdded{Factor: totpFactor("totp-1")},
		&user.MFAFactorAdded{Factor: webAuthnFactor("wa-1", "YubiKey")},
		&user.MFAFactorAdded{Factor: backupCodeFactor("bc-1", t0)},
		&user.TotpStepUsed{FactorID: "totp-1", Step: 42, At: t1},
		&user.WebAuthnUsed{FactorID: "wa-1", SignCount: 7, At: t2},
		&user.BackupCodeUsed{FactorID: "bc-1", Index: 0, At: t3},
	)

	want := []devices.Device{
		{ID: "totp-1", Type: user.FactorTotp, CreatedAt: t0, LastUsedAt: &t1},
		{ID: "wa-1", Type: user.FactorWebAuthn, Name: "YubiKey", CreatedAt: t0, LastUsedAt: &t2},
		{ID: "bc-1", Type: user.FactorBackupCode, CreatedAt: t0, LastUsedAt: &t3},
	}
	assertDevices(t, list, want)
	if other, _ := env.Devices.List(projtest.Context(t), "u2"); len(other) != 0 {
		t.Errorf("another user lists %v", other)
	}
}

func TestReadModelHoldsNoSecrets(t *testing.T) {
	env := projtest.NewEnv(t)
	projtest.Start(t, env.Runner, env.Devices)
	project(t, env, "u1",
		&user.MFAFactorAdded{Factor: totpFactor("totp-1")},
		&user.MFAFactorAdded{Factor: webAuthnFactor("wa-1", "YubiKey")},
		&user.MFAFactorAdded{Factor: backupCodeFactor("bc-1", t0)},
	)

	raw := storedRecord(t, env, "u1")
	var rec struct {
		UserID  string           `json:"userId"`
		LastSeq uint64           `json:"lastSeq"`
		Devices []map[string]any `json:"devices"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.UserID != "u1" || rec.LastSeq == 0 || len(rec.Devices) != 3 {
		t.Fatalf("record %s", raw)
	}
	allowed := []string{"createdAt", "id", "lastUsedAt", "name", "type"}
	for _, d := range rec.Devices {
		for key := range maps.Keys(d) {
			if !slices.Contains(allowed, key) {
				t.Errorf("device field %q stored: %s", key, raw)
			}
		}
	}
}

func TestRemovedFactorIsNotListed(t *testing.T) {
	env := projtest.NewEnv(t)
	projtest.Start(t, env.Runner, env.Devices)

	list := project(t, env, "u1",
		&user.MFAFactorAdded{Factor: totpFactor("totp-1")},
		&user.MFAFactorAdded{Factor: webAuthnFactor("wa-1", "YubiKey")},
		&user.MFAFactorRemoved{FactorID: "totp-1"},
		&user.TotpStepUsed{FactorID: "totp-1", Step: 1, At: t1}, // of the removed factor: no effect
	)
	assertDevices(t, list, []devices.Device{{ID: "wa-1", Type: user.FactorWebAuthn, Name: "YubiKey", CreatedAt: t0}})

	list = project(t, env, "u1", &user.MFAFactorRemoved{FactorID: "wa-1"})
	if list == nil || len(list) != 0 {
		t.Fatalf("after removing every factor: %#v, want an empty list", list)
	}
}

func TestNewBackupCodesReplaceThePrevious(t *testing.T) {
	env := projtest.NewEnv(t)
	projtest.Start(t, env.Runner, env.Devices)

	list := project(t, env, "u1",
		&user.MFAFactorAdded{Factor: backupCodeFactor("bc-1", t0)},
		&user.MFAFactorAdded{Factor: totpFactor("totp-1")},
		&user.BackupCodeUsed{FactorID: "bc-1", Index: 0, At: t1},
		&user.MFAFactorAdded{Factor: backupCodeFactor("bc-2", t2)},
	)
	assertDevices(t, list, []devices.Device{
		{ID: "totp-1", Type: user.FactorTotp, CreatedAt: t0},
		{ID: "bc-2", Type: user.FactorBackupCode, CreatedAt: t2},
	})
}

func TestUnknownUserHasNoDevices(t *testing.T) {
	env := projtest.NewEnv(t)
	list, err := env.Devices.List(projtest.Context(t), "nobody")
	if err != nil || list == nil || len(list) != 0 {
		t.Fatalf("List = %#v, %v; want an empty list", list, err)
	}
}

// A redelivery, or a replay from an earlier position, hands Apply events it
// has applied already; they must change nothing.
func TestApplyingEventsAgainChangesNothing(t *testing.T) {
	env := projtest.NewEnv(t) // no runner: the test calls Apply itself
	ctx := projtest.Context(t)
	envs := projtest.AppendUser(t, env.Store, "u1",
		&user.MFAFactorAdded{Factor: totpFactor("totp-1")},
		&user.MFAFactorAdded{Factor: backupCodeFactor("bc-1", t0)},
		&user.TotpStepUsed{FactorID: "totp-1", Step: 1, At: t1},
		&user.MFAFactorAdded{Factor: backupCodeFactor("bc-2", t2)},
		&user.MFAFactorRemoved{FactorID: "totp-1"},
		&user.MFAFactorAdded{Factor: totpFactor("totp-2")},
	)
	apply := func(envs []eventstore.Envelope) {
		for _, e := range envs {
			if err := env.Devices.Apply(ctx, e); err != nil {
				t.Fatalf("apply %s: %v", e.Type, err)
			}
		}
	}

	apply(envs)
	once := storedRecord(t, env, "u1")
	apply(envs)
	// Stale events one by one, as redeliveries come: re-adding the removed
	// totp-1 must not bring it back.
	reversed := slices.Clone(envs)
	slices.Reverse(reversed)
	apply(reversed)
	if again := storedRecord(t, env, "u1"); string(again) != string(once) {
		t.Fatalf("applied again:\n%s\nonce:\n%s", again, once)
	}
	list, err := env.Devices.List(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	assertDevices(t, list, []devices.Device{
		{ID: "bc-2", Type: user.FactorBackupCode, CreatedAt: t2},
		{ID: "totp-2", Type: user.FactorTotp, CreatedAt: t0},
	})
}

func storedRecord(t *testing.T, env projtest.Env, userID string) []byte {
	t.Helper()
	ctx := projtest.Context(t)
	kv, err := env.Store.JetStream().KeyValue(ctx, devices.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := kv.Get(ctx, userID)
	if err != nil {
		t.Fatalf("record of %s: %v", userID, err)
	}
	return entry.Value()
}

func assertDevices(t *testing.T, got, want []devices.Device) {
	t.Helper()
	if !slices.EqualFunc(got, want, equalDevices) {
		t.Fatalf("devices:\n got %s\nwant %s", show(got), show(want))
	}
}

func equalDevices(a, b devices.Device) bool {
	sameUse := (a.LastUsedAt == nil) == (b.LastUsedAt == nil) &&
		(a.LastUsedAt == nil || a.LastUsedAt.Equal(*b.LastUsedAt))
	return a.ID == b.ID && a.Type == b.Type && a.Name == b.Name && a.CreatedAt.Equal(b.CreatedAt) && sameUse
}

func show(list []devices.Device) string {
	b, _ := json.Marshal(list)
	return string(b)
}
