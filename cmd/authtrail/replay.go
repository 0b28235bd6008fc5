package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/admin"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/eventstore"
)

// replay prints an interaction's timeline, or its state at an event, from
// the log (docs/audit.md, Replay). Exit 1 with one line for an unknown id.
func replay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	src := addSourceFlags(fs)
	at := fs.String("at", "", "print the state folded up to this event's seq")
	asJSON := fs.Bool("json", false, `print {"id", "events", "state"} as JSON`)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: authtrail replay INTERACTION_ID [--at SEQ] [--json] [flags]")
		fs.PrintDefaults()
	}
	id, rest := splitFirstArg(args)
	if err := fs.Parse(rest); err != nil {
		return helpOr2(err)
	}
	if id == "" && fs.NArg() > 0 {
		id = fs.Arg(0)
	}
	if id == "" {
		fs.Usage()
		return 2
	}
	var upTo *uint64
	if *at != "" {
		n, err := strconv.ParseUint(*at, 10, 64)
		if err != nil || n == 0 {
			fmt.Fprintf(stderr, "authtrail replay: --at %q: want a positive integer, the seq of an event\n", *at)
			return 1
		}
		upTo = &n
	}
	source, err := openSource(ctx, src)
	if err != nil {
		fmt.Fprintln(stderr, "authtrail replay:", err)
		return 1
	}
	defer source.Close()
	if err := writeReplay(ctx, source.store, id, upTo, *asJSON, stdout); err != nil {
		fmt.Fprintln(stderr, "authtrail replay:", err)
		return 1
	}
	return 0
}

// writeReplay prints the replay of interaction id from store: the
// timeline, the state at upTo, or with asJSON both as JSON.
func writeReplay(ctx context.Context, store *eventstore.Store, id string, upTo *uint64, asJSON bool, w io.Writer) error {
	subject, err := eventstore.Subject(interaction.AggregateType, id)
	var envs []eventstore.Envelope
	if err == nil {
		envs, _, err = store.Load(ctx, subject)
	}
	if err == nil && len(envs) == 0 {
		err = fmt.Errorf("no interaction %q in the event log", id)
	}
	if err != nil {
		return err
	}
	r, err := admin.ReplayOf(api.BuiltinCatalogue(), id, envs, upTo)
	if err != nil {
		return err
	}
	switch {
	case asJSON:
		return writeJSON(w, r)
	case upTo != nil:
		return writeJSON(w, r.State)
	}
	return admin.WriteTimeline(w, r.Events)
}

// splitFirstArg takes a leading positional argument, so that it may come
// before the flags (authtrail replay ID --json).
func splitFirstArg(args []string) (string, []string) {
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		return args[0], args[1:]
	}
	return "", args
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// helpOr2 is the exit code of a command line that did not parse: 0 when
// help was asked for, 2 otherwise.
func helpOr2(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}
