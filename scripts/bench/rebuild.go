package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/embedded"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/projections/interactions"
)

// rebuildRounds: each load runs once per round; three rounds give a median
// without taking minutes per load.
const rebuildRounds = 3

// synthConcurrency is how many interactions are in flight at once in a
// synthetic log.
const synthConcurrency = 50

// measureRebuild times the interactions read model built from the first
// event of a synthetic log, against a bare read of the same log by an
// ordered consumer, in alternating rounds. The log lives on a server of its
// own, without fsync: what is measured is reading and folding it.
func measureRebuild(ctx context.Context, r *rig, events int) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	dir, err := os.MkdirTemp(filepath.Dir(r.options.ReadModelDB), "rebuild-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	ns, err := embedded.Start(embedded.Options{DataDir: filepath.Join(dir, "nats"), ServerName: "bench-rebuild"})
	if err != nil {
		return "", err
	}
	defer embedded.Shutdown(ns)
	nc, err := embedded.Connect(ns, "bench-rebuild")
	if err != nil {
		return "", err
	}
	defer nc.Close()
	store, err := eventstore.Open(ctx, nc, eventstore.Config{})
	if err != nil {
		return "", err
	}
	log, err := writeSynthLog(ctx, nc, store.Stream(), synthSpec{events: events, users: usersFor(events / 4),
		concurrent: synthConcurrency, failRate: 0.1})
	if err != nil {
		return "", err
	}
	// The readers get a connection of their own, as the server's
	// projections do.
	rc, err := embedded.Connect(ns, "bench-rebuild-read")
	if err != nil {
		return "", err
	}
	defer rc.Close()
	js, err := jetstream.New(rc)
	if err != nil {
		return "", err
	}
	last := log.lastSeq
	reg := r.events[interaction.AggregateType]
	load := func(ctx context.Context, subject string) ([]eventstore.Envelope, error) {
		envs, _, err := store.Load(ctx, subject)
		return envs, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	read := func() (result, error) {
		return timed(int(last), func() error { return readAll(ctx, js, store.Stream(), last) })
	}
	round := 0
	rebuild := func() (result, error) {
		round++
		path := filepath.Join(dir, fmt.Sprintf("rebuild-%d-%s", round, projections.FileName))
		db, err := projections.OpenDB(ctx, path)
		if err != nil {
			return result{}, err
		}
		defer removeDB(path)
		defer db.Close()
		var h *projections.Host
		res, err := timed(int(last), func() error {
			var err error
			h, err = projections.Start(ctx, db, js, store.Stream(), quiet, interactions.New(reg, load))
			if err != nil {
				return err
			}
			return h.WaitFor(ctx, interactions.Name, last)
		})
		if h != nil {
			h.Stop()
		}
		if err != nil {
			return result{}, err
		}
		// Its durable consumer would linger on the server for an hour.
		return res, dropConsumers(ctx, js, store.Stream(), "proj_")
	}
	all, perRound, err := alternateRuns(rebuildRounds, read, rebuild)
	if err != nil {
		return "", err
	}
	readRes, rebuildRes := all[0], all[1]
	ratios := roundRatios(perRound, 1, 0)
	var b strings.Builder
	fmt.Fprintf(&b, "interactions read model rebuilt from the first event (%d events: %d interactions over %d users, %d in flight at once, %d with a wrong password first; written in %v; %d rounds, order rotating):\n",
		log.events, log.interactions, len(log.userIDs), synthConcurrency, log.failed, log.elapsed.Round(time.Millisecond), rebuildRounds)
	fmt.Fprintf(&b, "  rebuild                 %s\n", onceString(rebuildRes))
	fmt.Fprintf(&b, "  ordered consumer read   %s\n", onceString(readRes))
	fmt.Fprintf(&b, "  ratio                   %6.2f over all rounds, median round %.2f, rounds %s (target >= 0.5)\n",
		rebuildRes.perSecond()/readRes.perSecond(), median(ratios), roundList(ratios))
	return b.String(), nil
}

// onceString is a run-to-the-end result: its rate, time and CPU per event.
func onceString(r result) string {
	return fmt.Sprintf("%9.0f events/s  (%d events in %v, %.1f µs of process CPU each)", r.perSecond(), r.ops,
		r.elapsed.Round(time.Millisecond), float64(r.cpu.Nanoseconds())/1000/float64(max(r.ops, 1)))
}

func roundList(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, " ")
}

// readAll reads the stream from its first message to last with an ordered
// consumer, as fast as the server hands them out; only the metadata is
// looked at, to know where the end is.
func readAll(ctx context.Context, js jetstream.JetStream, stream string, last uint64) error {
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	var once sync.Once
	finish := func(err error) { once.Do(func() { done <- err }) }
	// The projections pull 1000 at a time: so does the baseline.
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			finish(err)
			return
		}
		if md.Sequence.Stream >= last {
			finish(nil)
		}
	}, jetstream.PullMaxMessages(1000))
	if err != nil {
		return err
	}
	defer cc.Stop()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// dropConsumers deletes the stream's consumers whose names start with prefix.
func dropConsumers(ctx context.Context, js jetstream.JetStream, stream, prefix string) error {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return err
	}
	names := s.ConsumerNames(ctx)
	var drop []string
	for name := range names.Name() {
		if strings.HasPrefix(name, prefix) {
			drop = append(drop, name)
		}
	}
	if err := names.Err(); err != nil {
		return err
	}
	for _, name := range drop {
		if err := s.DeleteConsumer(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// removeDB deletes a read-model database and its WAL, shm and lock files.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", ".lock"} {
		_ = os.Remove(path + suffix)
	}
}
