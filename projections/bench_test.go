package projections_test

import (
	"strconv"
	"testing"

	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/projections/internal/projtest"
)

// BenchmarkCatchUp measures a projection working through a backlog, as in
// a rebuild: one event per user, so every event writes a record.
func BenchmarkCatchUp(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		env := projtest.NewEnv(b)
		var last uint64
		for i := range 500 {
			envs := projtest.AppendUser(b, env.Store, "u"+strconv.Itoa(i), added("totp-1", user.FactorTotp))
			last = envs[0].Seq
		}
		b.StartTimer()
		run := projtest.Start(b, env.Runner, env.Devices)
		if err := env.Runner.WaitFor(projtest.Context(b), env.Devices, last); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = run.Stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "events/s")
}
