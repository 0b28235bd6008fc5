package projections_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/embedded"
	"github.com/authtrail/authtrail/eventstore/natstest"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/projections/devices"
	"github.com/authtrail/authtrail/projections/internal/projtest"
)

var at = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func added(id, factorType string) *user.MFAFactorAdded {
	return &user.MFAFactorAdded{Factor: user.Factor{ID: id, Type: factorType, CreatedAt: at}}
}

// notes records the payload of every test.noted event; a payload it
// cannot read ("bad", unless accepting) halts it.
type notes struct {
	accept bool
	// slowRebuild holds each batch of a rebuilt version back, so a test
	// can stop the host part-way through.
	slowRebuild time.Duration
}

func (notes) Name() string { return "notes" }
func (notes) Shape() int   { return 1 }
func (notes) Create(ctx context.Context, tx *sql.Tx, t projections.Tables) error {
	_, err := tx.ExecContext(ctx, `CREATE TABLE `+t.Table("note")+` (seq INTEGER PRIMARY KEY, data TEXT NOT NULL)`)
	return err
}
func (n notes) Begin(_ context.Context, tx *sql.Tx, t projections.Tables) (projections.Batch, error) {
	if t.Version > 1 {
		time.Sleep(n.slowRebuild)
	}
	return notesBatch{n, tx, t}, nil
}

type notesBatch struct {
	notes
	tx *sql.Tx
	t  projections.Tables
}

func (b notesBatch) Apply(ctx context.Context, env eventstore.Envelope) error {
	if env.Type != "test.noted" {
		return nil
	}
	if string(env.Data) == `"bad"` && !b.accept {
		return fmt.Errorf("%w: cannot read %s", projections.ErrPermanent, env.Data)
	}
	_, err := b.tx.ExecContext(ctx, `INSERT OR IGNORE INTO `+b.t.Table("note")+` (seq, data) VALUES (?, ?)`, env.Seq, string(env.Data))
	return err
}
func (notesBatch) Flush(context.Context) error { return nil }

func note(t *testing.T, env projtest.Env, data string) uint64 {
	return projtest.PublishRaw(t, env.Store.JetStream(), eventstore.MustSubject("note", "n1"), "test.noted", 1, []byte(data))
}

func noteCount(t *testing.T, h *projections.Host) int {
	t.Helper()
	var n int
	err := h.Read("notes", func(db *sql.DB, tb projections.Tables, _ uint64) error {
		return db.QueryRow(`SELECT count(*) FROM ` + tb.Table("note")).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestHostResumesFromItsCheckpointAfterARestart(t *testing.T) {
	dir := t.TempDir()
	ns := natstest.RunServerWithDataDir(t, dir, false)
	env := projtest.OpenEnv(t, ns, dir+"/"+projections.FileName)
	h := env.Start(t, devices.New())
	first := projtest.AppendUser(t, env.Store, "u1", added("totp-1", user.FactorTotp))
	if err := h.WaitFor(projtest.Context(t), devices.Name, first[0].Seq); err != nil {
		t.Fatal(err)
	}
	h.Stop()
	_ = env.DB.Close()
	embedded.Shutdown(ns)

	env = projtest.OpenEnv(t, natstest.RunServerWithDataDir(t, dir, false), dir+"/"+projections.FileName)
	later := projtest.AppendUser(t, env.Store, "u1",
		added("wa-1", user.FactorWebAuthn),
		&user.TotpStepUsed{FactorID: "totp-1", Step: 9, At: at.Add(time.Minute)})
	m := devices.Model{Host: env.Start(t, devices.New())}
	if err := m.WaitFor(projtest.Context(t), later[1].Seq); err != nil {
		t.Fatal(err)
	}
	list, err := m.List(projtest.Context(t), "u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].LastUsedAt == nil || list[1].ID != "wa-1" {
		t.Fatalf("devices after restart: %+v", list)
	}
	st, err := m.Host.StatusOf(projtest.Context(t), devices.Name)
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != 1 || st.LastSeq != later[1].Seq || st.Lag != 0 || st.State != "running" {
		t.Fatalf("status %+v", st)
	}
}

func TestHaltsAtAnEventItCannotApplyAndResumesThereAfterARestart(t *testing.T) {
	env := projtest.NewEnv(t)
	h := env.Start(t, notes{})
	note(t, env, `"one"`)
	bad := note(t, env, `"bad"`)
	note(t, env, `"three"`)
	ctx := projtest.Context(t)
	var st projections.Status
	for {
		var err error
		if st, err = h.StatusOf(ctx, "notes"); err != nil {
			t.Fatal(err)
		}
		if st.State == "halted" || ctx.Err() != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st.State != "halted" || st.LastSeq != bad-1 || st.LastError == nil || !strings.Contains(*st.LastError, fmt.Sprintf("event %d", bad)) {
		t.Fatalf("status %+v (error %v), want halted before event %d, naming it", st, deref(st.LastError), bad)
	}
	if n := noteCount(t, h); n != 1 {
		t.Fatalf("%d notes applied, want the one before the bad event", n)
	}
	h.Stop()

	fixed := env.Start(t, notes{accept: true})
	if err := fixed.WaitFor(projtest.Context(t), "notes", bad+1); err != nil {
		t.Fatal(err)
	}
	if n := noteCount(t, fixed); n != 3 {
		t.Fatalf("%d notes after the restart, want 3", n)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestRebuildEndsInTheStateTheLiveVersionReached(t *testing.T) {
	env := projtest.NewEnv(t)
	h := env.Start(t, devices.New())
	var last uint64
	for i := range 50 {
		envs := projtest.AppendUser(t, env.Store, fmt.Sprint("u", i%7), added(fmt.Sprint("f", i), user.FactorTotp),
			&user.TotpStepUsed{FactorID: fmt.Sprint("f", i-1), Step: uint64(i), At: at.Add(time.Duration(i) * time.Second)})
		if i%5 == 0 {
			envs = projtest.AppendUser(t, env.Store, fmt.Sprint("u", i%7), &user.MFAFactorRemoved{FactorID: fmt.Sprint("f", i-3)})
		}
		last = envs[len(envs)-1].Seq
	}
	ctx := projtest.Context(t)
	if err := h.WaitFor(ctx, devices.Name, last); err != nil {
		t.Fatal(err)
	}
	before, err := projections.Dump(ctx, env.DB, projections.Tables{Name: devices.Name, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	version, err := h.Rebuild(ctx, devices.Name)
	if err != nil || version != 2 {
		t.Fatalf("Rebuild = %d, %v; want version 2", version, err)
	}
	waitLiveVersion(t, h, devices.Name, 2)
	after, err := projections.Dump(ctx, env.DB, projections.Tables{Name: devices.Name, Version: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) || len(after["device"]) == 0 {
		t.Fatalf("rebuilt rows differ:\nlive:\n%s\nrebuilt:\n%s", show(before), show(after))
	}
	if old, _ := projections.Dump(ctx, env.DB, projections.Tables{Name: devices.Name, Version: 1}); len(old) != 0 {
		t.Fatalf("old version's tables remain: %v", old)
	}
}

// A rebuild interrupted before it caught up leaves readers on the old
// version, and goes on at the next start until readers switch.
func TestInterruptedRebuildKeepsReadersOnTheOldVersionAndCompletesOnTheNextStart(t *testing.T) {
	env := projtest.NewEnv(t)
	h := env.Start(t, notes{slowRebuild: 20 * time.Millisecond})
	var last uint64
	for i := range 3000 {
		last = note(t, env, fmt.Sprintf(`"n%d"`, i))
	}
	if err := h.WaitFor(projtest.Context(t), "notes", last); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Rebuild(projtest.Context(t), "notes"); err != nil {
		t.Fatal(err)
	}
	h.Stop() // the crash: the new version is part-built at most
	st := liveVersion(t, env.DB)
	if st != 1 {
		t.Fatalf("live version %d after the interrupted rebuild, want 1", st)
	}

	again := env.Start(t, notes{})
	if s, _ := again.StatusOf(projtest.Context(t), "notes"); s.Version == 1 && s.Rebuild == nil {
		t.Fatalf("the rebuild did not resume: %+v", s)
	}
	if n := noteCount(t, again); n != 3000 {
		t.Fatalf("readers see %d notes during the rebuild, want all 3000 of the old version", n)
	}
	waitLiveVersion(t, again, "notes", 2)
	if n := noteCount(t, again); n != 3000 {
		t.Fatalf("%d notes after the rebuild, want 3000", n)
	}
}

func liveVersion(t *testing.T, db *projections.DB) int {
	t.Helper()
	var v int
	if err := db.Reader().QueryRow(`SELECT version FROM projection_versions WHERE name = 'notes' AND state = 'live'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func waitLiveVersion(t *testing.T, h *projections.Host, name string, version int) {
	t.Helper()
	ctx := projtest.Context(t)
	for {
		st, err := h.StatusOf(ctx, name)
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
		if st.Version == version && st.Rebuild == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("version %d never went live: %+v", version, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func show(rows map[string][]string) string {
	var b strings.Builder
	for table, lines := range rows {
		fmt.Fprintf(&b, "%s:\n  %s\n", table, strings.Join(lines, "\n  "))
	}
	return b.String()
}

// flaky fails its first batches with a transient error, then applies.
type flaky struct {
	notes
	failures *atomic.Int32
}

func (f flaky) Begin(ctx context.Context, tx *sql.Tx, t projections.Tables) (projections.Batch, error) {
	if f.failures.Add(-1) >= 0 {
		return nil, errors.New("database is busy")
	}
	return f.notes.Begin(ctx, tx, t)
}

func TestTransientErrorsAreRetriedFromTheCheckpoint(t *testing.T) {
	env := projtest.NewEnv(t)
	var failures atomic.Int32
	failures.Store(2)
	h := env.Start(t, flaky{failures: &failures})
	last := note(t, env, `"one"`)
	if err := h.WaitFor(projtest.Context(t), "notes", last); err != nil {
		t.Fatal(err)
	}
	st, _ := h.StatusOf(projtest.Context(t), "notes")
	if n := noteCount(t, h); n != 1 || st.State != "running" || st.LastError != nil || failures.Load() > 0 {
		t.Fatalf("%d notes, status %+v after two failed batches", n, st)
	}
}

// Each process keeps its own database: two hosts on one log, each on its
// own file, both see every event; a deleted file is rebuilt at the next
// start.
func TestEachDatabaseHasItsOwnConsumersAndADeletedOneIsRebuilt(t *testing.T) {
	env := projtest.NewEnv(t)
	other := projtest.Env{Server: env.Server, Store: env.Store, DB: projtest.OpenDB(t, filepath.Join(t.TempDir(), projections.FileName))}
	a, b := env.Start(t, notes{}), other.Start(t, notes{})
	var last uint64
	for i := range 20 {
		last = note(t, env, fmt.Sprintf(`"n%d"`, i))
	}
	for _, h := range []*projections.Host{a, b} {
		if err := h.WaitFor(projtest.Context(t), "notes", last); err != nil {
			t.Fatal(err)
		}
		if n := noteCount(t, h); n != 20 {
			t.Fatalf("%d notes, want 20 in each database", n)
		}
	}
	b.Stop()
	_ = other.DB.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, projections.FileName)
	fresh := projtest.Env{Server: env.Server, Store: env.Store, DB: projtest.OpenDB(t, path)}
	h := fresh.Start(t, notes{})
	if err := h.WaitFor(projtest.Context(t), "notes", last); err != nil {
		t.Fatal(err)
	}
	if n := noteCount(t, h); n != 20 {
		t.Fatalf("a new file holds %d notes, want 20", n)
	}
	if _, err := projections.OpenDB(projtest.Context(t), path); err == nil {
		t.Fatal("a second host opened a database in use")
	}
}
