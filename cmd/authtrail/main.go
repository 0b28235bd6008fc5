// Command authtrail runs the event-sourced authentication engine.
//
//	authtrail serve [--config FILE] [--http-addr ADDR] [--data-dir DIR] [--nats-url URL]
//	authtrail replay INTERACTION_ID [--at SEQ] [--json]
//	authtrail projections status | rebuild NAME
//	authtrail version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: authtrail <command> [flags]

commands:
  serve                     run the server (embedded NATS in ./data, HTTP on 127.0.0.1:3001 by default)
  replay ID [--at SEQ]      print an interaction's timeline, or its state at an event, from the log
  projections status        print the read models' status
  projections rebuild NAME  rebuild a read model beside the live one
  version                   print the version and the VCS revision it was built from

Run "authtrail <command> -h" for the flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "replay":
		return replay(ctx, args[1:], stdout, stderr)
	case "projections":
		return projectionsCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		return version(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "authtrail: unknown command %q\n\n%s", args[0], usage)
	return 2
}
