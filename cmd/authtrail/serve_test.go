package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/embedded"
)

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// startServe runs "authtrail serve args..." and waits for its address.
func startServe(t *testing.T, args ...string) (base string, stop func() int) {
	t.Helper()
	base, _, stop = startServeLogged(t, io.Discard, args...)
	return base, stop
}

// startServeLogged is startServe with the server's log on stderr, and what
// it printed on stdout.
func startServeLogged(t *testing.T, stderr io.Writer, args ...string) (base string, stdout *apitest.SyncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout = &apitest.SyncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--http-addr", "127.0.0.1:0"}, args...), stdout, stderr)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			// stop may be called twice (explicitly, then deferred).
			stopOnce := sync.OnceValue(func() int { cancel(); return <-done })
			return m[1], stdout, stopOnce
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d before listening", code)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	t.Fatal("serve did not start")
	return "", nil, nil
}

func TestServeAndDrain(t *testing.T) {
	dir := t.TempDir()
	base, stop := startServe(t, "--data-dir", dir)
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	req, _ := http.NewRequest(http.MethodPut, base+"/api/experience", strings.NewReader(`{"interactionEvent":"SignIn"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("start: %v %v", resp, err)
	}
	cookie := resp.Header.Get("Set-Cookie")
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d after the signal, want 0", code)
	}
	for _, key := range []string{"cookie.key", "encryption.key"} {
		info, err := os.Stat(filepath.Join(dir, "secrets", key))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", key, info, err)
		}
	}

	// A restart on the same data dir keeps the cookie key and the interaction.
	base, stop = startServe(t, "--data-dir", dir)
	defer stop()
	req, _ = http.NewRequest(http.MethodGet, base+"/api/experience/interaction", nil)
	req.Header.Set("Cookie", strings.Split(cookie, ";")[0])
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("interaction after restart: %v %v", resp, err)
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(path, []byte("signInExperience:\n  signInMode: Sometimes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"bad enum":        {"serve", "--config", path},
		"unreadable file": {"serve", "--config", filepath.Join(dir, "missing.yaml")},
	} {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(context.Background(), args, io.Discard, &stderr); code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			out := strings.TrimSpace(stderr.String())
			if strings.Count(out, "\n") != 0 || !strings.HasPrefix(out, "config: ") {
				t.Fatalf("want one config line, got %q", out)
			}
			if name == "bad enum" && !strings.Contains(out, "signInExperience.signInMode") {
				t.Fatalf("line does not name the key: %q", out)
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	if code := run(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
}

func TestServeOnExternalNATS(t *testing.T) {
	// A plain server stands in for the external cluster: the embedded one
	// admits only its users.
	ns, err := server.NewServer(&server.Options{JetStream: true, StoreDir: t.TempDir(), Host: "127.0.0.1", Port: -1,
		ServerName: "external", NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("external server not ready")
	}
	defer embedded.Shutdown(ns)
	dir := t.TempDir()
	setSharedSecrets(t)
	base, stop := startServe(t, "--data-dir", dir, "--nats-url", ns.ClientURL())
	req, _ := http.NewRequest(http.MethodPut, base+"/api/experience", strings.NewReader(`{"interactionEvent":"Register"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("start: %v %v", resp, err)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d after the signal, want 0", code)
	}

	// The event is on the external server, and nothing was embedded.
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, eventstore.DefaultStream)
	if err != nil {
		t.Fatalf("EVENTS stream on the external server: %v", err)
	}
	msg, err := stream.GetLastMsgForSubject(ctx, "events.interaction.*")
	if err != nil || msg.Header.Get(eventstore.HeaderType) != "interaction.started" ||
		!strings.Contains(string(msg.Data), `"Register"`) {
		t.Fatalf("last interaction event on the external server: %+v, %v", msg, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); !os.IsNotExist(err) {
		t.Fatalf("an embedded store was created in the data dir: %v", err)
	}
}

// setSharedSecrets gives serve the keys an external NATS requires.
func setSharedSecrets(t *testing.T) {
	t.Setenv(CookieKeyEnv, zeroBase64Key(32))
	t.Setenv(EncryptionKeyEnv, zeroBase64Key(32))
}

func TestServeRefusesUnreachableNATS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "nats://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	setSharedSecrets(t)
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"serve", "--data-dir", t.TempDir(), "--nats-url", url, "--http-addr", "127.0.0.1:0"}, io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), url) {
		t.Fatalf("exit %d, stderr %q; want 1 and a line naming %s", code, stderr.String(), url)
	}
}
