package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/embedded"
)

// measureStartup writes users' worth of registrations (each user's
// user.registered and its username claim) into a data directory, straight
// to the log, then starts the real binary (go build ./cmd/authtrail; serve
// with embedded NATS on that directory) and times it from exec to a green
// /health/ready, three times: the first start (its read models do not
// exist yet, so it builds them over the whole log), then two restarts, the
// figure; all once the log is older than the stream's duplicate window.
// Without fsync while writing: the log is set-up, not measured.
func measureStartup(ctx context.Context, users int) (string, error) {
	dir, err := os.MkdirTemp("", "authtrail-startup-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "authtrail")
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/authtrail")
	build.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, out)
	}
	data := filepath.Join(dir, "data")
	wrote, err := writeUsers(ctx, data, users)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "start-up of the binary (serve, embedded NATS) on a log of %d users (%d events, written in %v):\n",
		users, 2*users, wrote.Round(time.Second))
	written := time.Now()
	for i, name := range []string{"first start (builds its read models over the whole log)", "restart", "restart"} {
		if i == 0 && users >= waitFromUsers {
			// A start reloads the ids of the messages stored within the
			// stream's duplicate window (2 minutes) to refuse a retried
			// append: a log of a million users built over months holds a
			// few minutes' worth there, not all of it, so the starts wait
			// until the written log is older than that.
			time.Sleep(time.Until(written.Add(duplicateWindow + 5*time.Second)))
		}
		took, err := startOnce(ctx, bin, data)
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		target := ""
		if i > 0 {
			target = " (target <= 5s)"
		}
		fmt.Fprintf(&b, "  %-60s healthy in %v%s\n", name, took.Round(10*time.Millisecond), target)
	}
	// The baseline: the embedded server alone recovering the same store.
	begin := time.Now()
	ns, err := embedded.Start(embedded.Options{DataDir: data, ServerName: "startup-baseline"})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "  (the embedded NATS server alone recovers the store in %v)\n", time.Since(begin).Round(10*time.Millisecond))
	embedded.Shutdown(ns)
	return b.String(), nil
}

// writeUsers writes the registrations with an embedded server of its own on
// data, which it shuts down cleanly after.
func writeUsers(ctx context.Context, data string, users int) (time.Duration, error) {
	ns, err := embedded.Start(embedded.Options{DataDir: data, ServerName: "startup-writer"})
	if err != nil {
		return 0, err
	}
	defer embedded.Shutdown(ns)
	nc, err := embedded.Connect(ns, "startup-writer")
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	if _, err := eventstore.Open(ctx, nc, eventstore.Config{}); err != nil {
		return 0, err
	}
	var firstErr error
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(synthWindow),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			if firstErr == nil {
				firstErr = fmt.Errorf("publish %s: %w", m.Subject, err)
			}
		}))
	if err != nil {
		return 0, err
	}
	g := newSynth(synthSpec{users: 1})
	begin := time.Now()
	for i := 1; i <= users; i++ {
		id, name := fmt.Sprint(i), fmt.Sprintf("user%07d", i)
		claim := user.ClaimID("username", name)
		for _, msg := range []*nats.Msg{
			g.msg(eventstore.MustSubject(user.AggregateType, id), user.AggregateType, id, 1,
				&user.Registered{UserID: id, Username: name, CreatedAt: g.clock}),
			g.msg(eventstore.MustSubject(user.ClaimAggregateType, claim), user.ClaimAggregateType, claim, 1,
				&user.IdentifierClaimed{Kind: "username", UserID: id}),
		} {
			if _, err := js.PublishMsgAsync(msg, jetstream.WithStallWait(time.Minute)); err != nil {
				return 0, err
			}
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return time.Since(begin), firstErr
}

// waitFromUsers: a smaller log (the bench's own test) reloads its
// duplicate ids in no time, so its starts need not wait for the window.
const waitFromUsers = 50_000

// duplicateWindow is the event stream's Duplicates (eventstore).
const duplicateWindow = 2 * time.Minute

// startOnce runs the binary on data until /health/ready answers 200, then
// stops it and waits for it to exit.
func startOnce(ctx context.Context, bin, data string) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, bin, "serve", "--data-dir", data, "--http-addr", addr)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &logs
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var took time.Duration
	for took == 0 {
		select {
		case err := <-exited:
			return 0, fmt.Errorf("exited before it was healthy: %v: %s", err, lastLines(logs.String(), 5))
		case <-time.After(10 * time.Millisecond):
		}
		resp, err := http.Get("http://" + addr + "/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				took = time.Since(begin)
			}
		}
		if time.Since(begin) > 10*time.Minute {
			_ = cmd.Process.Kill()
			return 0, errors.New("not healthy after 10 minutes")
		}
	}
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-exited
	}
	return took, nil
}

// lastLines is the end of a log, for an error.
func lastLines(log string, n int) string {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
