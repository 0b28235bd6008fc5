// Command cluster runs authtrail as in production, on one machine: a
// 3-node nats-server cluster with JetStream (built from the nats-server
// module this repository requires; sync_interval always) and two
// authtrail processes on it with nats.replicas 3 and shared secrets,
// reachable at their own ports (no load balancer: send requests to either).
// It stops everything on Ctrl-C.
//
// Usage: go run ./scripts/cluster [-dir DIR] [-nats-port 4222] [-http-port 3001]
//
// The nodes listen on nats-port, +1, +2; the processes on http-port and
// http-port+1. DIR (default a new temporary directory) keeps the
// binaries, configurations, data and logs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	dir := flag.String("dir", "", "directory for binaries, configs, data and logs (default: a new temporary one)")
	natsPort := flag.Int("nats-port", 4222, "client port of the first NATS node; the others take the next two")
	httpPort := flag.Int("http-port", 3001, "HTTP port of the first authtrail process; the second takes the next")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "authtrail-cluster-")
		if err != nil {
			fail(err)
		}
		*dir = d
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := Start(ctx, Options{
		Dir:       *dir,
		NATSPorts: []int{*natsPort, *natsPort + 1, *natsPort + 2},
		HTTPPorts: []int{*httpPort, *httpPort + 1},
		Config:    "connectors: {email: {type: console}, sms: {type: console}}\n",
		Log:       func(format string, args ...any) { fmt.Printf(format+"\n", args...) },
	})
	if err != nil {
		fail(err)
	}
	fmt.Println("running; Ctrl-C stops the processes and the nodes")
	<-ctx.Done()
	c.Stop()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "cluster:", err)
	os.Exit(1)
}
