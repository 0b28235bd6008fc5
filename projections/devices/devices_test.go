package devices_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
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
func project(t *testing.T, m devices.Model, env projtest.Env, userID string, events ...domain.Event) []devices.Device {
	t.Helper()
	appended := projtest.AppendUser(t, env.Store, userID, events...)
	ctx := projtest.Context(t)
	if err := m.WaitFor(ctx, appended[len(appended)-1].Seq); err != nil {
		t.Fatal(err)
	}
	list, err := m.List(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestListShowsEachFactorWithItsLastUse(t *testing.T) {
	env := projtest.NewEnv(t)
	m := devices.Model{Host: env.Start(t, devices.New())}

	list := project(t, m, env, "u1",
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
	if other, _ := m.List(projtest.Context(t), "u2"); len(other) != 0 {
		t.Errorf("another user lists %v", other)
	}
}

func TestReadModelHoldsNoSecrets(t *testing.T) {
	env := projtest.NewEnv(t)
	m := devices.Model{Host: env.Start(t, devices.New())}
	project(t, m, env, "u1",
		&user.MFAFactorAdded{Factor: totpFactor("totp-1")},
		&user.MFAFactorAdded{Factor: webAuthnFactor("wa-1", "YubiKey")},
		&user.MFAFactorAdded{Factor: backupCodeFactor("bc-1", t0)},
	)

	rows := stored(t, env)
	if len(rows["device"]) != 3 {
		t.Fatalf("rows %v", rows)
	}
	for _, table := range rows {
		for _, row := range table {
			for _, secret := range []string{"sealed-totp-secret", "credential-id", "public-key", "code-hash", "k1"} {
				if strings.Contains(row, secret) {
					t.Errorf("row holds %q: %s", secret, row)
				}
			}
		}
	}
}

func TestRemovedFactorIsNotListed(t *testing.T) {
	env := projtest.NewEnv(t)
	m := devices.Model{Host: env.Start(t, devices.New())}

	list := project(t, m, env, "u1",
		&user.MFAFactorAdded{Factor: totpFactor("totp-1")},
		&user.MFAFactorAdded{Factor: webAuthnFactor("wa-1", "YubiKey")},
		&user.MFAFactorRemoved{FactorID: "totp-1"},
		&user.TotpStepUsed{FactorID: "totp-1", Step: 1, At: t1}, // of the removed factor: no effect
	)
	assertDevices(t, list, []devices.Device{{ID: "wa-1", Type: user.FactorWebAuthn, Name: "YubiKey", CreatedAt: t0}})

	list = project(t, m, env, "u1", &user.MFAFactorRemoved{FactorID: "wa-1"})
	if list == nil || len(list) != 0 {
		t.Fatalf("after removing every factor: %#v, want an empty list", list)
	}
}

func TestNewBackupCodesReplaceThePrevious(t *testing.T) {
	env := projtest.NewEnv(t)
	m := devices.Model{Host: env.Start(t, devices.New())}

	list := project(t, m, env, "u1",
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
	list, err := devices.Model{Host: env.Start(t, devices.New())}.List(projtest.Context(t), "nobody")
	if err != nil || list == nil || len(list) != 0 {
		t.Fatalf("List = %#v, %v; want an empty list", list, err)
	}
}

// A redelivery, or a replay from an earlier position, hands Apply events it
// has applied already; they must change nothing.
func TestApplyingEventsAgainChangesNothing(t *testing.T) {
	env := projtest.NewEnv(t) // no host: the test feeds the events itself
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
		if err := projections.Feed(ctx, env.DB, devices.New(), version1, envs); err != nil {
			t.Fatal(err)
		}
	}

	apply(envs)
	once := stored(t, env)
	apply(envs)
	// Stale events one by one, as redeliveries come: re-adding the removed
	// totp-1 must not bring it back.
	for i := len(envs) - 1; i >= 0; i-- {
		apply(envs[i : i+1])
	}
	if again := stored(t, env); !reflect.DeepEqual(again, once) {
		t.Fatalf("applied again:\n%v\nonce:\n%v", again, once)
	}
	want := []string{"bc-2", "totp-2"}
	var got []string
	for _, row := range once["device"] {
		got = append(got, strings.Fields(row)[1])
	}
	if strings.Join(got, ",") != "id="+want[0]+",id="+want[1] {
		t.Fatalf("devices %v, want %v", got, want)
	}
}

var version1 = projections.Tables{Name: devices.Name, Version: 1}

// stored is every row of the first version's tables.
func stored(t *testing.T, env projtest.Env) map[string][]string {
	t.Helper()
	rows, err := projections.Dump(projtest.Context(t), env.DB, version1)
	if err != nil {
		t.Fatal(err)
	}
	return rows
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
