package interactions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/experience/password"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/projections/interactions"
	"github.com/authtrail/authtrail/projections/internal/projtest"
)

var (
	t0     = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	events = domain.Merge(interaction.CoreEvents, password.Events)
)

// generated is one interaction of the generated log, and what its summary
// must say.
type generated struct {
	id        string
	userID    string
	event     string
	failed    bool
	submitted bool
	startedAt time.Time
	identity  string
}

// generate writes n interactions: each starts at t0 + i minutes, lives an
// hour, fails a password every fourth time, and is submitted unless i is a
// multiple of 5.
func generate(t *testing.T, store *eventstore.Store, n int) []generated {
	t.Helper()
	var out []generated
	for i := range n {
		g := generated{id: fmt.Sprintf("i%04d", i), userID: fmt.Sprint(1 + i%7), event: []string{"SignIn", "Register", "ForgotPassword"}[i%3],
			failed: i%4 == 0, submitted: i%5 != 0, startedAt: t0.Add(time.Duration(i) * time.Minute), identity: fmt.Sprint("user", i%7)}
		id := interaction.Identifier{Type: "username", Value: g.identity}
		evs := []domain.Event{&interaction.Started{Event: g.event, ExpiresAt: g.startedAt.Add(time.Hour), Client: interaction.Client{IP: "10.0.0.1", UserAgent: "test"}}}
		if g.failed {
			evs = append(evs, &password.Failed{Identifier: id, Reason: "session.invalid_credentials"})
		}
		evs = append(evs, &password.Verified{VerificationID: "v" + g.id, Identifier: id, UserID: g.userID},
			&interaction.Identified{UserID: g.userID, VerificationID: "v" + g.id})
		if g.submitted {
			evs = append(evs, &interaction.Submitted{Event: g.event, UserID: g.userID})
		}
		appendAt(t, store, g.id, g.startedAt, evs...)
		out = append(out, g)
	}
	return out
}

// appendAt records the events of one interaction at time at, one per
// request as the API would (failures in requests of their own).
func appendAt(t *testing.T, store *eventstore.Store, id string, at time.Time, evs ...domain.Event) []eventstore.Envelope {
	t.Helper()
	subject := eventstore.MustSubject(interaction.AggregateType, id)
	var all []eventstore.Envelope
	for i, ev := range evs {
		var last *eventstore.Tx
		err := store.Run(context.Background(), eventstore.Metadata{Time: at, CorrelationID: fmt.Sprintf("%s-r%d", id, i)}, func(tx *eventstore.Tx) error {
			last = tx
			if _, err := tx.Load(context.Background(), subject); err != nil {
				return err
			}
			if _, failure := ev.(domain.Failure); failure {
				tx.Failure(subject, ev)
				return domain.E("session.invalid_credentials")
			}
			tx.Append(subject, ev)
			return nil
		})
		if _, refused := domain.AsError(err); err != nil && !refused {
			t.Fatal(err)
		}
		all = append(all, last.Appended()...)
	}
	return all
}

func load(store *eventstore.Store) interactions.Loader {
	return func(ctx context.Context, subject string) ([]eventstore.Envelope, error) {
		envs, _, err := store.Load(ctx, subject)
		return envs, err
	}
}

// model runs the projection and waits until it has the whole log.
func model(t *testing.T, env projtest.Env, now time.Time) interactions.Model {
	t.Helper()
	h := env.Start(t, interactions.New(events, load(env.Store)))
	if err := h.WaitCurrent(projtest.Context(t)); err != nil {
		t.Fatal(err)
	}
	return interactions.Model{Host: h, Now: func() time.Time { return now }}
}

func TestListFiltersAndPagesReturnExactlyTheExpectedIDs(t *testing.T) {
	env := projtest.NewEnv(t)
	all := generate(t, env.Store, 500)
	now := t0.Add(500*time.Minute + 30*time.Minute) // the last 30 unsubmitted ones are active, older ones expired
	m := model(t, env, now)
	yes, no := true, false
	from, to := t0.Add(100*time.Minute), t0.Add(199*time.Minute)
	for _, tc := range []struct {
		name   string
		filter interactions.Filter
		keep   func(g generated) bool
	}{
		{"all", interactions.Filter{}, func(generated) bool { return true }},
		{"user", interactions.Filter{UserID: "3"}, func(g generated) bool { return g.userID == "3" }},
		{"failed", interactions.Filter{Failed: &yes}, func(g generated) bool { return g.failed }},
		{"not failed", interactions.Filter{Failed: &no}, func(g generated) bool { return !g.failed }},
		{"submitted", interactions.Filter{Status: interactions.StatusSubmitted}, func(g generated) bool { return g.submitted }},
		{"expired", interactions.Filter{Status: interactions.StatusExpired}, func(g generated) bool {
			return !g.submitted && !now.Before(g.startedAt.Add(time.Hour))
		}},
		{"active", interactions.Filter{Status: interactions.StatusActive}, func(g generated) bool {
			return !g.submitted && now.Before(g.startedAt.Add(time.Hour))
		}},
		{"event and identifier", interactions.Filter{InteractionEvent: "Register", Identifier: "user2"}, func(g generated) bool {
			return g.event == "Register" && g.identity == "user2"
		}},
		{"failed of a user in a window", interactions.Filter{UserID: "5", Failed: &yes, From: &from, To: &to}, func(g generated) bool {
			return g.userID == "5" && g.failed && !g.startedAt.Before(from) && !g.startedAt.After(to)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for i := len(all) - 1; i >= 0; i-- { // newest first
				if tc.keep(all[i]) {
					want = append(want, all[i].id)
				}
			}
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				items, next, _, err := m.List(projtest.Context(t), tc.filter, interactions.Page{Limit: 37, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range items {
					got = append(got, s.ID)
				}
				if next == "" {
					break
				}
				if pages > 20 {
					t.Fatal("pages never end")
				}
				cursor = next
			}
			if !slices.Equal(got, want) || len(want) == 0 {
				t.Fatalf("got %d ids, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
			}
		})
	}
	if _, _, _, err := m.List(projtest.Context(t), interactions.Filter{}, interactions.Page{Limit: 5, Cursor: "not-a-cursor"}); err != interactions.ErrBadCursor {
		t.Fatalf("bad cursor: %v", err)
	}
}

func TestSummaryOfAnExpiredInteractionSaysExpired(t *testing.T) {
	env := projtest.NewEnv(t)
	appendAt(t, env.Store, "old", t0, &interaction.Started{Event: "SignIn", ExpiresAt: t0.Add(time.Hour)})
	m := model(t, env, t0.Add(2*time.Hour))
	s, _, err := m.Get(projtest.Context(t), "old")
	if err != nil || s.Status != interactions.StatusExpired || s.EndedAt != nil {
		t.Fatalf("summary %+v, %v; want expired", s, err)
	}
	m.Now = func() time.Time { return t0.Add(time.Minute) }
	if s, _, _ := m.Get(projtest.Context(t), "old"); s.Status != interactions.StatusActive {
		t.Fatalf("before its end: %s, want active", s.Status)
	}
}

// Fed the same events twice, or again from an earlier point as a
// redelivery would, the tables end the same.
func TestFeedingTheSameEventsTwiceChangesNothing(t *testing.T) {
	env := projtest.NewEnv(t)
	generate(t, env.Store, 40)
	var envs []eventstore.Envelope
	if err := env.Store.Scan(projtest.Context(t), func(e eventstore.Envelope) error { envs = append(envs, e); return nil }); err != nil {
		t.Fatal(err)
	}
	p := interactions.New(events, load(env.Store))
	v1 := projections.Tables{Name: interactions.Name, Version: 1}
	feed := func(envs []eventstore.Envelope) {
		if err := projections.Feed(projtest.Context(t), env.DB, p, v1, envs); err != nil {
			t.Fatal(err)
		}
	}
	feed(envs)
	once, err := projections.Dump(projtest.Context(t), env.DB, v1)
	if err != nil {
		t.Fatal(err)
	}
	feed(envs)
	p.Reset(v1) // a restart: what the cache held is restored from rows and the log
	feed(envs[len(envs)/2:])
	twice, err := projections.Dump(projtest.Context(t), env.DB, v1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(once, twice) || len(once["summary"]) != 40 {
		t.Fatalf("fed again:\n%v\nonce:\n%v", twice["summary"][:2], once["summary"][:2])
	}
}

// An interaction that goes on after a restart (nothing in memory) is
// summarised as the log says: the projection restores its state from the
// row and the log, and agrees with a summary drawn from the log alone.
func TestAnInteractionThatSpansARestartIsSummarisedAsTheLogSays(t *testing.T) {
	env := projtest.NewEnv(t)
	id := interaction.Identifier{Type: "username", Value: "ann"}
	appendAt(t, env.Store, "span", t0, &interaction.Started{Event: "SignIn", ExpiresAt: t0.Add(time.Hour)},
		&password.Failed{Identifier: id, Reason: "session.invalid_credentials"})
	first := model(t, env, t0)
	first.Host.Stop()
	appendAt(t, env.Store, "span", t0.Add(time.Minute), &password.Verified{VerificationID: "v1", Identifier: id, UserID: "9"},
		&interaction.Identified{UserID: "9", VerificationID: "v1"}, &interaction.Submitted{Event: "SignIn", UserID: "9"})
	m := model(t, env, t0.Add(2*time.Minute))
	got, _, err := m.Get(projtest.Context(t), "span")
	if err != nil {
		t.Fatal(err)
	}
	envs, _, _ := env.Store.Load(projtest.Context(t), eventstore.MustSubject(interaction.AggregateType, "span"))
	want, err := interactions.Summarize(events, envs, t0.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) || got.Status != "submitted" || len(got.Verifications) != 1 || len(got.Failures) != 1 {
		t.Fatalf("projected %s\nfrom the log %s", gotJSON, wantJSON)
	}
}

// A rebuild ends in exactly the rows the incremental projection reached.
func TestRebuildEndsInTheRowsOfTheLiveVersion(t *testing.T) {
	env := projtest.NewEnv(t)
	h := env.Start(t, interactions.New(events, load(env.Store)))
	generate(t, env.Store, 200) // applied as they arrive, batch by batch
	ctx := projtest.Context(t)
	if err := h.WaitCurrent(ctx); err != nil {
		t.Fatal(err)
	}
	live, err := projections.Dump(ctx, env.DB, projections.Tables{Name: interactions.Name, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Rebuild(ctx, interactions.Name); err != nil {
		t.Fatal(err)
	}
	for {
		st, err := h.StatusOf(ctx, interactions.Name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Version == 2 && st.Rebuild == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	rebuilt, err := projections.Dump(ctx, env.DB, projections.Tables{Name: interactions.Name, Version: 2})
	if err != nil {
		t.Fatal(err)
	}
	// The rebuilt version made the filters' indexes once it had caught up.
	if want := []string{"summary_failed", "summary_identifier", "summary_started", "summary_user"}; !slices.Equal(rebuilt[projections.DumpIndexes], want) {
		t.Fatalf("rebuilt version's indexes %q, want %q", rebuilt[projections.DumpIndexes], want)
	}
	if len(live["summary"]) != 200 || !reflect.DeepEqual(live, rebuilt) {
		for i := range min(len(live["summary"]), len(rebuilt["summary"])) {
			if live["summary"][i] != rebuilt["summary"][i] {
				t.Fatalf("row %d differs:\nlive    %s\nrebuilt %s", i, live["summary"][i], rebuilt["summary"][i])
			}
		}
		t.Fatalf("%d live rows, %d rebuilt", len(live["summary"]), len(rebuilt["summary"]))
	}
}
