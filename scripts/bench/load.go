package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// result is one measured load: operations completed and their latencies.
type result struct {
	ops       int
	elapsed   time.Duration
	cpu       time.Duration // CPU time (user+system) the whole process spent meanwhile
	latencies []time.Duration
}

// add pools two measurements of the same load.
func (r result) add(o result) result {
	return result{ops: r.ops + o.ops, elapsed: r.elapsed + o.elapsed, cpu: r.cpu + o.cpu,
		latencies: append(r.latencies, o.latencies...)}
}

func (r result) perSecond() float64 { return float64(r.ops) / r.elapsed.Seconds() }

func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func (r result) String() string {
	return fmt.Sprintf("%8.1f/s  p50 %-10v p99 %-10v (%d ops, %.0f µs of process CPU each)", r.perSecond(),
		r.percentile(0.50).Round(10*time.Microsecond), r.percentile(0.99).Round(10*time.Microsecond), r.ops,
		float64(r.cpu.Microseconds())/float64(max(r.ops, 1)))
}

// load runs op from n workers for d and collects latencies. A failed
// operation stops the measurement: figures from a broken run mean nothing.
func load(ctx context.Context, n int, d time.Duration, op func(ctx context.Context, worker int) error) (result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		all   []time.Duration
		first error
		wg    sync.WaitGroup
	)
	cpuBefore := processCPU()
	begin := time.Now()
	deadline := begin.Add(d)
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t := time.Now()
				if err := op(ctx, w); err != nil {
					mu.Lock()
					if first == nil && !errors.Is(err, context.Canceled) {
						first = err
					}
					mu.Unlock()
					cancel()
					break
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	return result{ops: len(all), elapsed: time.Since(begin), cpu: processCPU() - cpuBefore, latencies: all}, first
}

// processCPU is the CPU time the process has used so far, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// alternate runs each load in turn, rounds times, for d/rounds each, in an
// order that rotates every round, so drift in a shared machine's speed hits
// all loads alike. It returns each load's pooled result and every round's.
func alternate(ctx context.Context, clients int, d time.Duration, rounds int, loads ...func(ctx context.Context, w int) error) ([]result, [][]result, error) {
	phases := make([]phase, len(loads))
	for i, l := range loads {
		phases[i] = phase{op: l}
	}
	return alternatePhases(ctx, clients, d, rounds, phases...)
}

// phase is a load with what must be set up before each of its turns and
// torn down after, outside its timing: a load that needs the projections
// running, another that needs them stopped.
type phase struct {
	op            func(ctx context.Context, w int) error
	before, after func() error // either may be nil
}

// alternatePhases is alternate for phases.
func alternatePhases(ctx context.Context, clients int, d time.Duration, rounds int, phases ...phase) ([]result, [][]result, error) {
	all := make([]result, len(phases))
	var perRound [][]result
	for i := 0; i < rounds; i++ {
		round := make([]result, len(phases))
		for k := range phases {
			j := (i + k) % len(phases)
			p := phases[j]
			if p.before != nil {
				if err := p.before(); err != nil {
					return nil, nil, err
				}
			}
			stop, err := profilePhase(j, i)
			if err != nil {
				return nil, nil, err
			}
			r, err := load(ctx, clients, d/time.Duration(rounds), p.op)
			stop()
			if err != nil {
				return nil, nil, err
			}
			if p.after != nil {
				if err := p.after(); err != nil {
					return nil, nil, err
				}
			}
			round[j] = r
			all[j] = all[j].add(r)
		}
		perRound = append(perRound, round)
	}
	return all, perRound, nil
}

// roundRatios is load a's throughput over load b's, round by round.
func roundRatios(perRound [][]result, a, b int) []float64 {
	var out []float64
	for _, round := range perRound {
		out = append(out, round[a].perSecond()/round[b].perSecond())
	}
	return out
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// middleHalf is the range of the middle half of xs: how much the rounds
// disagree.
func middleHalf(xs []float64) string {
	s := slices.Clone(xs)
	slices.Sort(s)
	return fmt.Sprintf("%.2f-%.2f", s[len(s)/4], s[len(s)*3/4])
}

// alternateRuns is alternate for work that runs once to its end (a
// rebuild, a read of the whole log) rather than for a while: each run is
// timed in turn, rounds times, the order rotating every round.
func alternateRuns(rounds int, runs ...func() (result, error)) ([]result, [][]result, error) {
	all := make([]result, len(runs))
	var perRound [][]result
	for i := 0; i < rounds; i++ {
		round := make([]result, len(runs))
		for k := range runs {
			j := (i + k) % len(runs)
			stop, err := profilePhase(j, i)
			if err != nil {
				return nil, nil, err
			}
			r, err := runs[j]()
			stop()
			if err != nil {
				return nil, nil, err
			}
			round[j] = r
			all[j] = all[j].add(r)
		}
		perRound = append(perRound, round)
	}
	return all, perRound, nil
}

// timed runs fn, which handles ops operations, as one result.
func timed(ops int, fn func() error) (result, error) {
	cpuBefore := processCPU()
	begin := time.Now()
	err := fn()
	return result{ops: ops, elapsed: time.Since(begin), cpu: processCPU() - cpuBefore}, err
}

// phaseProfiles, when set (-phase-profiles), is the folder that receives a
// CPU profile of each phase's (or run's) turn, phase<j>-round<i>.pprof, so that the
// turns with a feature can be compared with those without it
// (go tool pprof -diff_base).
var phaseProfiles string

func profilePhase(phase, round int) (stop func(), err error) {
	if phaseProfiles == "" {
		return func() {}, nil
	}
	f, err := os.Create(filepath.Join(phaseProfiles, fmt.Sprintf("phase%d-round%d.pprof", phase, round)))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-phase-profiles: %w (not with -cpuprofile)", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// resetPeakRSS restarts the process's peak resident set (VmHWM) from its
// current size (Linux: "5" to /proc/self/clear_refs), so peakRSS then
// tells the peak of what runs in between.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident set since it started or since
// resetPeakRSS, in MiB (0 where /proc cannot tell). The process holds the
// server, the embedded NATS server and the clients alike.
func peakRSS() float64 { return procStatusMiB("VmHWM:") }

// currentRSS is the process's resident set now, in MiB.
func currentRSS() float64 { return procStatusMiB("VmRSS:") }

// procStatusMiB reads a kB field of /proc/self/status, in MiB.
func procStatusMiB(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			var kb float64
			_, _ = fmt.Sscanf(strings.TrimSpace(rest), "%f kB", &kb)
			return kb / 1024
		}
	}
	return 0
}
