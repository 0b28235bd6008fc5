package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/projections/devices"
	"github.com/authtrail/authtrail/projections/interactions"
)

// lagEvery is the sampler's period.
const lagEvery = 10 * time.Millisecond

// lagWait bounds one sample's wait: a read model that far behind is broken.
const lagWait = 10 * time.Second

// measureLag runs the password sign-ins of measureSignIns on the rig's
// server in alternating rounds, with the read models' projections running
// and with them stopped, and samples the projections' lag behind the log
// while they run.
//
// Every projection host on the store reads the whole log, so a round
// "without" needs every host stopped, not only one server's: the rig's
// own is stopped for good (this runs last), and the rounds "with" run it
// again on the rig's database, from its checkpoint, as a restarted server
// does. The catch-up with the rounds without comes before the round's
// timing.
func measureLag(ctx context.Context, r *rig, transport http.RoundTripper, workers int, d time.Duration) (string, error) {
	clients, names, err := registerThroughNewServer(ctx, r, transport, workers)
	if err != nil {
		return "", err
	}
	r.srv.ReadModels.Stop()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	stream, err := r.store.JetStream().Stream(ctx, r.store.Stream())
	if err != nil {
		return "", err
	}
	var (
		rm      *api.ReadModels // running during the rounds with projections
		sampler *lagSampler
		lags    lagSamples
	)
	startReadModels := func() error {
		if rm != nil {
			return nil
		}
		var err error
		rm, err = api.StartReadModels(ctx, r.store, r.options.ReadModelDB, r.events[interaction.AggregateType], r.clock, quiet)
		if err != nil {
			return err
		}
		waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		return rm.WaitCurrent(waitCtx)
	}
	stopReadModels := func() error {
		if rm != nil {
			rm.Stop()
			rm = nil
		}
		return nil
	}
	defer func() { _ = stopReadModels() }()
	signIn := func(ctx context.Context, w int) error { return clients[w].signIn(ctx, names[w]) }
	with := phase{op: signIn,
		before: func() error {
			if err := startReadModels(); err != nil {
				return err
			}
			sampler = sampleLag(ctx, stream, rm.Host)
			return nil
		},
		after: func() error { return sampler.stop(&lags) },
	}
	// The rounds without sample too, reading the stream's last seq
	// only, so that both carry the sampler's own cost.
	var idle lagSamples
	without := phase{op: signIn,
		before: func() error {
			if err := stopReadModels(); err != nil {
				return err
			}
			sampler = sampleLag(ctx, stream, nil)
			return nil
		},
		after: func() error { return sampler.stop(&idle) },
	}
	rounds := max(4, int(d/signInRound))
	all, perRound, err := alternatePhases(ctx, workers, d, rounds, with, without)
	if err != nil {
		return "", err
	}
	withAll, withoutAll := all[0], all[1]
	ratios := roundRatios(perRound, 0, 1)
	var b strings.Builder
	fmt.Fprintf(&b, "projection lag during password sign-ins at %d concurrent clients (%d samples, one every %v while the projections run; from reading the stream's last seq to the read model's checkpoint reaching it):\n",
		workers, len(lags.both), lagEvery)
	fmt.Fprintf(&b, "  interactions     %s (target p99 <= 100ms)\n", lagString(lags.interactions))
	fmt.Fprintf(&b, "  devices          %s\n", lagString(lags.devices))
	fmt.Fprintf(&b, "  both             %s\n", lagString(lags.both))
	fmt.Fprintf(&b, "password sign-ins with the projections running vs stopped (%d rounds of %v each, order rotating):\n", rounds, d/time.Duration(rounds))
	fmt.Fprintf(&b, "  running          %s\n", withAll)
	fmt.Fprintf(&b, "  stopped          %s\n", withoutAll)
	fmt.Fprintf(&b, "  ratio            %6.2f over all rounds, median round %.2f, middle half %s (target >= 0.9)\n",
		withAll.perSecond()/withoutAll.perSecond(), median(ratios), middleHalf(ratios))
	return b.String(), nil
}

// registerThroughNewServer registers the sign-in users through a server
// started now on the rig's store, then signs them in on the rig's. The
// rig's server draws user ids from a counter read at its start; once the
// MFA measurement's server has registered users, the rig's next ids are
// taken and its registrations answer 409 until the counter has passed
// them all (accounts.NewUser.Check skips one id per attempt). A new server
// starts its counter after every user in the log. Same options, so the
// same password hashing: sign-ins verify the digests they would.
func registerThroughNewServer(ctx context.Context, r *rig, transport http.RoundTripper, workers int) ([]*client, []string, error) {
	_, ts, stop, err := r.server(ctx, "lag-setup", nil)
	if err != nil {
		return nil, nil, err
	}
	defer stop()
	clients, names, err := registerSignInUsers(ctx, ts.URL, transport, workers)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range clients {
		c.base = r.url
	}
	return clients, names, nil
}

// lagSamples are the lags measured, per read model and for both.
type lagSamples struct{ interactions, devices, both []time.Duration }

// lagSampler samples until stopped.
type lagSampler struct {
	cancel context.CancelFunc
	done   chan struct{}
	got    lagSamples
	err    error
}

// sampleLag reads the stream's last seq S every lagEvery and times how
// long each read model of host takes to have applied S; without a host it
// only reads S. t0 is taken before the read, so a sample never understates
// the lag.
func sampleLag(ctx context.Context, stream jetstream.Stream, host *projections.Host) *lagSampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &lagSampler{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(lagEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			t0 := time.Now()
			info, err := stream.Info(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.err = err
				}
				return
			}
			if host == nil {
				continue
			}
			seq := info.State.LastSeq
			waitCtx, cancelWait := context.WithTimeout(ctx, lagWait)
			var wg sync.WaitGroup
			var lagI, lagD time.Duration
			var errI, errD error
			wg.Add(2)
			go func() {
				defer wg.Done()
				errI = host.WaitFor(waitCtx, interactions.Name, seq)
				lagI = time.Since(t0)
			}()
			go func() {
				defer wg.Done()
				errD = host.WaitFor(waitCtx, devices.Name, seq)
				lagD = time.Since(t0)
			}()
			wg.Wait()
			cancelWait()
			if ctx.Err() != nil {
				return // stopped mid-sample: the sample is cut short
			}
			if err := cmpErr(errI, errD); err != nil {
				s.err = err
				return
			}
			s.got.interactions = append(s.got.interactions, lagI)
			s.got.devices = append(s.got.devices, lagD)
			s.got.both = append(s.got.both, max(lagI, lagD))
		}
	}()
	return s
}

func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// stop ends the sampling and adds its samples to into.
func (s *lagSampler) stop(into *lagSamples) error {
	s.cancel()
	<-s.done
	into.interactions = append(into.interactions, s.got.interactions...)
	into.devices = append(into.devices, s.got.devices...)
	into.both = append(into.both, s.got.both...)
	return s.err
}

func lagString(lags []time.Duration) string {
	if len(lags) == 0 {
		return "no samples"
	}
	r := result{latencies: lags}
	return fmt.Sprintf("p50 %-10v p99 %-10v max %v", r.percentile(0.50).Round(10*time.Microsecond),
		r.percentile(0.99).Round(10*time.Microsecond), slices.Max(lags).Round(10*time.Microsecond))
}
