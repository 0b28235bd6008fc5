package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/embedded"
)

// historyUsers is how many users of each kind a round signs in.
const historyUsers = 10

// measureHistory compares the password sign-in of users whose log holds
// historyLength earlier TOTP uses (appended directly, as years of MFA
// sign-ins would leave them) with that of users without history. Every
// sign-in is the first load of its user by its server's store: each round
// starts a server on a store of its own, so neither the store's caches nor
// its folded states hold the user. The snapshots in the store's bucket are
// what a restarted server finds: the warm-up round, the first load of each
// history user since its history was written, makes them, and its timing
// is shown apart.
func measureHistory(ctx context.Context, r *rig, transport http.RoundTripper, historyLength int) (string, error) {
	long, fresh := make([]string, historyUsers), make([]string, historyUsers)
	setup := newClient(r.url, transport, true)
	for i := range historyUsers {
		long[i] = fmt.Sprintf("history%d_%d", i, time.Now().UnixNano())
		fresh[i] = fmt.Sprintf("fresh%d_%d", i, time.Now().UnixNano())
		for _, name := range []string{long[i], fresh[i]} {
			if err := setup.register(ctx, name); err != nil {
				return "", err
			}
		}
		if err := writeHistory(ctx, r.store, long[i], historyLength); err != nil {
			return "", err
		}
	}
	nc, err := embedded.Connect(r.ns, "bench-history")
	if err != nil {
		return "", err
	}
	defer nc.Close()
	// The first is the warm-up; ten more give the p50s 100 sign-ins of
	// each kind, enough that a hash's noise does not decide the ratio.
	const rounds = 11
	var warmLong, warmFresh, longAll, freshAll result
	for round := range rounds {
		store, err := eventstore.Open(ctx, nc, eventstore.Config{})
		if err != nil {
			return "", err
		}
		_, ts, stop, err := r.serverOn(ctx, store, "history", nil)
		if err != nil {
			return "", err
		}
		c := newClient(ts.URL, transport, true)
		var longRound, freshRound result
		for i := range historyUsers {
			// Alternate which kind goes first.
			pair := []struct {
				name string
				into *result
			}{{long[i], &longRound}, {fresh[i], &freshRound}}
			if (round+i)%2 == 1 {
				pair[0], pair[1] = pair[1], pair[0]
			}
			for _, p := range pair {
				t, cpu := time.Now(), processCPU()
				if err := c.signIn(ctx, p.name); err != nil {
					stop()
					return "", err
				}
				took := time.Since(t)
				*p.into = p.into.add(result{ops: 1, elapsed: took, cpu: processCPU() - cpu, latencies: []time.Duration{took}})
			}
		}
		stop()
		if round == 0 {
			warmLong, warmFresh = longRound, freshRound
			continue
		}
		longAll, freshAll = longAll.add(longRound), freshAll.add(freshRound)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Password sign-ins at 1 client, each the first load of its user by a new server's store (%d rounds of %d users of each kind):\n", rounds-1, historyUsers)
	fmt.Fprintf(&b, "  without history      %s\n", freshAll)
	fmt.Fprintf(&b, "  %d earlier uses  %s\n", historyLength, longAll)
	fmt.Fprintf(&b, "    p50                %6.2f x without (target <= 1.1)\n", ratio(longAll.percentile(0.5), freshAll.percentile(0.5)))
	fmt.Fprintf(&b, "  first load since the history was written (no snapshot yet): p50 %v, against %v without history\n",
		warmLong.percentile(0.5).Round(10*time.Microsecond), warmFresh.percentile(0.5).Round(10*time.Microsecond))
	return b.String(), nil
}

// writeHistory appends historyLength TOTP uses to the user named name, in
// batches, straight to the log.
func writeHistory(ctx context.Context, store *eventstore.Store, name string, historyLength int) error {
	var id string
	err := store.Run(ctx, eventstore.Metadata{}, func(tx *eventstore.Tx) (err error) {
		id, err = accounts.Owner(ctx, tx, "username", name)
		return err
	})
	if err != nil || id == "" {
		return fmt.Errorf("history of %s: no such user (%v)", name, err)
	}
	subject := accounts.Subject(id)
	at := time.Now().Add(-time.Duration(historyLength) * time.Minute)
	for written := 0; written < historyLength; {
		envs, last, err := store.Load(ctx, subject)
		if err != nil {
			return err
		}
		var events []eventstore.Pending
		for i := 0; i < 500 && written < historyLength; i++ {
			events = append(events, eventstore.Pending{Event: &user.TotpStepUsed{FactorID: "totp", Step: uint64(written + 1),
				At: at.Add(time.Duration(written) * time.Minute)}})
			written++
		}
		if _, err := store.Append(ctx, eventstore.Metadata{Actor: "bench"}, eventstore.Write{Subject: subject, ExpectedSeq: last,
			Version: uint64(len(envs)), Events: events}); err != nil {
			return err
		}
	}
	return nil
}
