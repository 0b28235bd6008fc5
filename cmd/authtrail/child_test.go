package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary run "authtrail ..." instead of the tests,
// so a fault test can kill -9 a real server process.
const childEnv = "FAULT_TEST_AUTHTRAIL_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// child is "authtrail serve" in its own process, on a fixed address so that
// clients reach it again after a restart.
type child struct {
	t       *testing.T
	base    string
	config  string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has been waited for
}

// newChild writes config, a format whose first argument is the HTTP
// address and the rest args, next to a log file for the child's output.
func newChild(t *testing.T, config string, args ...any) *child {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddr(t)
	c := &child{t: t, base: "http://" + addr, config: filepath.Join(dir, "config.yaml"), logPath: filepath.Join(dir, "serve.log")}
	if err := os.WriteFile(c.config, []byte(fmt.Sprintf(config, append([]any{addr}, args...)...)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.kill()
		if t.Failed() {
			if out, err := os.ReadFile(c.logPath); err == nil {
				t.Logf("server log (last 4 KiB):\n%s", out[max(0, len(out)-4096):])
			}
		}
	})
	return c
}

// start runs the server and returns how long it took to answer /healthz 200.
func (c *child) start() time.Duration {
	c.t.Helper()
	logFile, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	defer logFile.Close()
	c.cmd = exec.Command(os.Args[0], "serve", "--config", c.config)
	c.cmd.Env = append(os.Environ(), childEnv+"=1")
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	began := time.Now()
	if err := c.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { _ = cmd.Wait(); close(exited) }(c.cmd, c.exited)
	client := &http.Client{Timeout: time.Second}
	for deadline := began.Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		select {
		case <-c.exited:
			c.t.Fatalf("serve exited (%v) before it was healthy", c.cmd.ProcessState)
		default:
		}
		if resp, err := client.Get(c.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(began)
			}
		}
	}
	c.t.Fatal("serve was not healthy within 60 s")
	return 0
}

// kill ends the server with SIGKILL: no drain, no flush.
func (c *child) kill() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Kill()
	<-c.exited
	c.cmd = nil
}

// stop ends the server with SIGTERM and waits for its drain.
func (c *child) stop() {
	c.t.Helper()
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		c.t.Fatal("serve did not stop within 30 s of SIGTERM")
	}
	if code := c.cmd.ProcessState.ExitCode(); code != 0 {
		c.t.Fatalf("serve exited %d after SIGTERM", code)
	}
	c.cmd = nil
}
