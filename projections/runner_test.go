package projections_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

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

// noted is an event of another aggregate, which the devices projection
// does not read.
type noted struct{}

func (noted) EventType() string { return "test.noted" }

func TestRunnerResumesWhereItStoppedAfterARestart(t *testing.T) {
	dir := t.TempDir()
	before := natstest.RunServerWithDataDir(t, dir, false)
	env := projtest.OpenEnv(t, before)
	run := projtest.Start(t, env.Runner, env.Devices)
	first := projtest.AppendUser(t, env.Store, "u1", added("totp-1", user.FactorTotp))
	waitFor(t, env, first[0].Seq)
	created := consumerInfo(t, env).Created
	if err := run.Stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}
	embedded.Shutdown(before)

	env = projtest.OpenEnv(t, natstest.RunServerWithDataDir(t, dir, false))
	// Appended while no runner runs.
	later := projtest.AppendUser(t, env.Store, "u1",
		added("wa-1", user.FactorWebAuthn),
		&user.TotpStepUsed{FactorID: "totp-1", Step: 9, At: at.Add(time.Minute)})
	projtest.Start(t, env.Runner, env.Devices)
	waitFor(t, env, later[1].Seq)

	list, err := env.Devices.List(projtest.Context(t), "u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].LastUsedAt == nil || list[1].ID != "wa-1" {
		t.Fatalf("devices after restart: %+v", list)
	}
	// The same consumer delivered each event once: it went on from its
	// position instead of starting over.
	info := consumerInfo(t, env)
	if !info.Created.Equal(created) || info.Delivered.Consumer != 3 {
		t.Fatalf("consumer created %v (was %v), %d deliveries; want the same consumer, 3 deliveries",
			info.Created, created, info.Delivered.Consumer)
	}
}

func TestWaitForReturnsOnceCaughtUp(t *testing.T) {
	env := projtest.NewEnv(t)
	projtest.AppendUser(t, env.Store, "u1", added("totp-1", user.FactorTotp))
	projtest.AppendUser(t, env.Store, "u2", added("wa-1", user.FactorWebAuthn))
	other, err := env.Store.Append(projtest.Context(t), eventstore.Metadata{}, eventstore.Write{
		Subject: eventstore.MustSubject("interaction", "i1"), Events: []eventstore.Pending{{Event: noted{}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	last := other[0].Seq // an event the projection does not read

	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := env.Runner.WaitFor(short, env.Devices, last); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor with no runner = %v, want the context's deadline", err)
	}

	projtest.Start(t, env.Runner, env.Devices)
	waitFor(t, env, last)
	for _, userID := range []string{"u1", "u2"} {
		if list, _ := env.Devices.List(projtest.Context(t), userID); len(list) != 1 {
			t.Errorf("after WaitFor %s lists %+v, want 1 device", userID, list)
		}
	}
	if lag, err := env.Runner.Lag(projtest.Context(t), env.Devices); err != nil || lag != 0 {
		t.Fatalf("Lag = %d, %v; want 0", lag, err)
	}
}

func TestUnknownEventTypesAreSkipped(t *testing.T) {
	env := projtest.NewEnv(t)
	projtest.PublishRaw(t, env.Store.JetStream(), eventstore.MustSubject(user.AggregateType, "u1"),
		"user.something_new", eventstore.DefaultSchema, []byte(`{"unknown":true}`))
	envs := projtest.AppendUser(t, env.Store, "u1", added("totp-1", user.FactorTotp))
	projtest.Start(t, env.Runner, env.Devices)

	waitFor(t, env, envs[0].Seq)
	if list, _ := env.Devices.List(projtest.Context(t), "u1"); len(list) != 1 {
		t.Fatalf("devices %+v, want the TOTP factor", list)
	}
}

func TestUndecodableEventHaltsTheProjection(t *testing.T) {
	cases := []struct {
		name    string
		schema  int
		payload string
	}{
		{"payload not JSON", eventstore.DefaultSchema, `{"factor":`},
		{"payload of another shape", eventstore.DefaultSchema, `{"factor":"totp"}`},
		{"schema this build cannot read", 2, `{"factor":{"id":"totp-2","type":"Totp"}}`},
	}
	for _, c := range cases {
		t.Run("case="+c.name, func(t *testing.T) {
			env := projtest.NewEnv(t)
			projtest.AppendUser(t, env.Store, "u1", added("totp-1", user.FactorTotp))
			bad := projtest.PublishRaw(t, env.Store.JetStream(), eventstore.MustSubject(user.AggregateType, "u1"),
				"user.mfa.factor_added", c.schema, []byte(c.payload))
			projtest.AppendUser(t, env.Store, "u2", added("wa-1", user.FactorWebAuthn))

			// Twice: a halted projection halts again at the same event on
			// its next run, promptly rather than after AckWait.
			for range 2 {
				err := projtest.Start(t, env.Runner, env.Devices).Ended(t, 5*time.Second)
				if !errors.Is(err, projections.ErrPermanent) || !strings.Contains(err.Error(), fmt.Sprintf("event %d", bad)) {
					t.Fatalf("Run = %v, want a permanent error at event %d", err, bad)
				}
			}
			ctx := projtest.Context(t)
			if list, _ := env.Devices.List(ctx, "u1"); len(list) != 1 {
				t.Errorf("u1 lists %+v, want the factor added before the bad event", list)
			}
			if list, _ := env.Devices.List(ctx, "u2"); len(list) != 0 {
				t.Errorf("u2 lists %+v, want nothing past the bad event", list)
			}
			if lag, err := env.Runner.Lag(ctx, env.Devices); err != nil || lag != 2 {
				t.Errorf("Lag = %d, %v; want 2 (the bad event and the one after)", lag, err)
			}
		})
	}
}

// A failure that can pass (here the bucket is gone for a while) is retried
// until it does, and the events behind it wait: they are applied in order.
func TestTransientFailureIsRetriedInOrder(t *testing.T) {
	env := projtest.NewEnv(t)
	projtest.Start(t, env.Runner, env.Devices)
	ctx := projtest.Context(t)
	js := env.Store.JetStream()
	if err := js.DeleteKeyValue(ctx, devices.Bucket); err != nil {
		t.Fatal(err)
	}

	envs := projtest.AppendUser(t, env.Store, "u1",
		added("totp-1", user.FactorTotp),
		&user.TotpStepUsed{FactorID: "totp-1", Step: 1, At: at.Add(time.Minute)})
	// Once the first event has failed and come back, the second must not
	// have been handed out yet.
	deadline := time.Now().Add(5 * time.Second)
	info := consumerInfo(t, env)
	for ; info.NumRedelivered == 0 && time.Now().Before(deadline); info = consumerInfo(t, env) {
		time.Sleep(10 * time.Millisecond)
	}
	if info.NumRedelivered == 0 || info.Delivered.Stream != envs[0].Seq {
		t.Fatalf("consumer redelivered %d, delivered up to event %d; want the first event (%d) redelivered and nothing after it",
			info.NumRedelivered, info.Delivered.Stream, envs[0].Seq)
	}
	if _, err := devices.New(ctx, js, 1); err != nil {
		t.Fatal(err)
	}

	waitFor(t, env, envs[1].Seq)
	list, err := env.Devices.List(ctx, "u1")
	if err != nil || len(list) != 1 || list[0].LastUsedAt == nil {
		t.Fatalf("devices %+v, %v; want the TOTP factor with its last use", list, err)
	}
}

func waitFor(t *testing.T, env projtest.Env, seq uint64) {
	t.Helper()
	if err := env.Runner.WaitFor(projtest.Context(t), env.Devices, seq); err != nil {
		t.Fatal(err)
	}
}

func consumerInfo(t *testing.T, env projtest.Env) *jetstream.ConsumerInfo {
	t.Helper()
	ctx := projtest.Context(t)
	cons, err := env.Store.JetStream().Consumer(ctx, env.Store.Stream(), projections.ConsumerName(env.Devices))
	if err != nil {
		t.Fatal(err)
	}
	return cons.CachedInfo()
}
