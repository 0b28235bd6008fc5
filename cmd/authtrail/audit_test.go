package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// ids are the random ids of a replay: interaction, event, record and
// correlation ids, masked so the golden file holds still.
var ids = regexp.MustCompile(`"(id|correlationId|verificationId|factorId|subject)": "[^"]+"`)

func TestReplayOfTheScriptedSignInMatchesTheGoldenFiles(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{Settings: apitest.ScriptSettings()})
	id := apitest.SignInWithWrongPasswordFirst(t, srv, apitest.RegisterMFAUser(t, srv))
	ctx := context.Background()

	var timeline bytes.Buffer
	if err := writeReplay(ctx, srv.Store, id, nil, false, &timeline); err != nil {
		t.Fatal(err)
	}
	golden(t, "replay.golden", timeline.Bytes())

	var asJSON bytes.Buffer
	if err := writeReplay(ctx, srv.Store, id, nil, true, &asJSON); err != nil {
		t.Fatal(err)
	}
	golden(t, "replay.json.golden", ids.ReplaceAll(asJSON.Bytes(), []byte(`"$1": "…"`)))

	// --at the third event: the right password is verified, the user not yet identified.
	lines := strings.Split(strings.TrimSpace(timeline.String()), "\n")
	third, _ := strconv.ParseUint(strings.Fields(lines[2])[0], 10, 64)
	var at bytes.Buffer
	if err := writeReplay(ctx, srv.Store, id, &third, false, &at); err != nil {
		t.Fatal(err)
	}
	golden(t, "replay.at.golden", ids.ReplaceAll(at.Bytes(), []byte(`"$1": "…"`)))
}

// A stopped server's data directory: replay and rebuild open it
// themselves; an unknown id or projection is one line and exit 1.
func TestReplayAndRebuildOnAStoppedServersDataDir(t *testing.T) {
	dir := t.TempDir()
	base, stop := startServe(t, "--data-dir", dir)
	id := startInteraction(t, base)
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}

	out, errOut, code := runCmd(t, "replay", id, "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "interaction.started interactionEvent=SignIn") {
		t.Fatalf("replay: exit %d, %q %q", code, out, errOut)
	}
	out, errOut, code = runCmd(t, "replay", "nosuchinteraction", "--data-dir", dir)
	if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, `"nosuchinteraction"`) {
		t.Fatalf("unknown id: exit %d, %q %q", code, out, errOut)
	}
	out, errOut, code = runCmd(t, "projections", "rebuild", "interactions", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "interactions v2 is live") {
		t.Fatalf("rebuild: exit %d, %q %q", code, out, errOut)
	}
	out, errOut, code = runCmd(t, "projections", "status", "--data-dir", dir)
	if code != 0 || !regexp.MustCompile(`interactions\s+2\s+running`).MatchString(out) {
		t.Fatalf("status: exit %d, %q %q", code, out, errOut)
	}
	_, errOut, code = runCmd(t, "projections", "rebuild", "sessions", "--data-dir", dir)
	if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, `"sessions"`) {
		t.Fatalf("unknown projection: exit %d, %q", code, errOut)
	}
}

// A running server: the commands connect to its nats.listen as an audit
// user; a downstream user may not replay, and the data directory is
// refused while the server holds it.
func TestReplayAndRebuildThroughARunningServersNATS(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	listen := freeAddr(t)
	conf := fmt.Sprintf("nats:\n  dataDir: %s\n  listen: %s\n  users:\n"+
		"    - {user: auditor, password: auditor-password, role: audit}\n"+
		"    - {user: reader, password: reader-password, role: downstream}\n", filepath.Join(dir, "data"), listen)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := startServe(t, "--config", cfg)
	defer stop()
	id := startInteraction(t, base)

	as := []string{"--config", cfg, "--nats-user", "auditor", "--nats-password", "auditor-password"}
	out, errOut, code := runCmd(t, append([]string{"replay", id}, as...)...)
	if code != 0 || !strings.Contains(out, "interaction.started") {
		t.Fatalf("replay: exit %d, %q %q", code, out, errOut)
	}
	out, errOut, code = runCmd(t, append([]string{"projections", "rebuild", "devices"}, as...)...)
	if code != 0 || !strings.Contains(out, "devices v2 is live") {
		t.Fatalf("rebuild: exit %d, %q %q", code, out, errOut)
	}
	_, errOut, code = runCmd(t, "replay", id, "--config", cfg, "--nats-user", "reader", "--nats-password", "reader-password")
	if code != 1 {
		t.Fatalf("a downstream user replayed: exit %d %q", code, errOut)
	}
	// The downstream user reads the public stream, as the README shows.
	nc, err := nats.Connect("nats://"+listen, nats.UserInfo("reader", "reader-password"), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := js.CreateOrUpdateConsumer(ctx, "AUTH_EVENTS", jetstream.ConsumerConfig{
		Durable: "crm", FilterSubject: "authtrail.interaction.started", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("downstream consumer: %v", err)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil || !strings.Contains(string(m.Data()), id) {
		t.Fatalf("downstream read: %v", err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, "EVENTS", jetstream.ConsumerConfig{Durable: "peek"}); err == nil {
		t.Fatal("a downstream user read EVENTS")
	}
	_, errOut, code = runCmd(t, "replay", id, "--data-dir", filepath.Join(dir, "data"))
	if code != 1 || !strings.Contains(errOut, "a server is running") {
		t.Fatalf("the running server's directory: exit %d %q", code, errOut)
	}
}

func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// startInteraction starts a sign-in and returns its id.
func startInteraction(t *testing.T, base string) string {
	t.Helper()
	c := apitest.NewClient(t, base)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	return c.InteractionID()
}

// freeAddr is a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestReplayAndProjectionsHelpExitZero(t *testing.T) {
	for _, args := range [][]string{{"replay", "-h"}, {"projections", "status", "-h"}, {"projections", "rebuild", "--help"}} {
		if _, _, code := runCmd(t, args...); code != 0 {
			t.Errorf("%v: exit %d, want 0", args, code)
		}
	}
	if _, _, code := runCmd(t, "replay", "x", "--colour"); code != 2 {
		t.Errorf("a bad flag: exit %d, want 2", code)
	}
}
