package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

// binDir holds nats-server and authtrail, built once for every test.
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		dir, err := os.MkdirTemp("", "authtrail-cluster-bin-")
		if err == nil {
			err = Build(context.Background(), dir)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "cluster tests:", err)
			os.Exit(1)
		}
		binDir = dir
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

const password = "Cluster-Passw0rd!"

// testConfig: usernames with passwords, sign-in codes by email to the
// test's SMTP server, a webhook on registrations and sign-ins.
const testConfig = `signInExperience:
  signUp: {identifiers: [username], password: true, verify: false}
  signIn:
    methods:
      - {identifier: username, password: true, verificationCode: false, isPasswordPrimary: true}
      - {identifier: email, password: false, verificationCode: true, isPasswordPrimary: false}
  mfa: {factors: [], policy: NoPrompt}
connectors:
  email: {type: smtp, smtp: {host: 127.0.0.1, port: %d, from: auth@example.com, tls: none}}
webhooks:
  - {id: sink, url: %q, events: [PostRegister, PostSignIn], signingKey: cluster-test-key, backoff: 100ms}
limits: {newRecipientsPerIp: {count: 0}}
`

type testCluster struct {
	*Cluster
	smtp  *apitest.SMTPServer
	hooks *hookSink
	js    jetstream.JetStream
}

func startCluster(t *testing.T) *testCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a 3-node NATS cluster and two authtrail processes; .ci/run runs it")
	}
	smtp := apitest.NewSMTPServer(t)
	hooks := newHookSink(t)
	dir := t.TempDir()
	c, err := Start(context.Background(), Options{Dir: dir, Bin: binDir,
		Config: fmt.Sprintf(testConfig, smtp.Port, hooks.url), Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			for _, p := range append(append([]*Process{}, c.Apps...), c.Nodes...) {
				out, _ := os.ReadFile(p.log)
				t.Logf("%s log (last 3 KiB):\n%s", p.Name, out[max(0, len(out)-3072):])
			}
		}
	})
	nc, err := nats.Connect(c.NATSURL, nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return &testCluster{Cluster: c, smtp: smtp, hooks: hooks, js: js}
}

// browser is one user agent; Bases are the processes it sends to in turn
// (one cookie jar: the processes share a host, as behind a load balancer).
type browser struct {
	bases []string
	next  int
	http  *http.Client
	// answered, when set, hears of every answer below 500.
	answered func(at time.Time)
}

func newBrowser(bases ...string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{bases: bases, http: &http.Client{Jar: jar, Timeout: 15 * time.Second}}
}

// step sends one Experience API request to the next process and returns
// the status and the body.
func (b *browser) step(method, path string, body any) (int, map[string]any, error) {
	base := b.bases[b.next%len(b.bases)]
	b.next++
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, base+"/api/experience"+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	if b.answered != nil && resp.StatusCode < 500 {
		b.answered(time.Now())
	}
	out := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, nil
}

// script runs steps in order, stopping at the first transport error, and
// returns every status.
func (b *browser) script(steps ...func(*browser) (int, error)) ([]int, error) {
	var statuses []int
	for _, s := range steps {
		status, err := s(b)
		if err != nil {
			return statuses, err
		}
		statuses = append(statuses, status)
	}
	return statuses, nil
}

func call(method, path string, body any) func(*browser) (int, error) {
	return func(b *browser) (int, error) {
		status, _, err := b.step(method, path, body)
		return status, err
	}
}

// verified sends a verification and keeps its id for the identification.
func verified(path string, body any, vid *string) func(*browser) (int, error) {
	return func(b *browser) (int, error) {
		status, out, err := b.step(http.MethodPost, path, body)
		*vid, _ = out["verificationId"].(string)
		return status, err
	}
}

func registration(name string) []func(*browser) (int, error) {
	var vid string
	return []func(*browser) (int, error){
		call(http.MethodPut, "", map[string]any{"interactionEvent": "Register"}),
		verified("/verification/new-password-identity", map[string]any{"identifier": usernameID(name), "password": password}, &vid),
		func(b *browser) (int, error) {
			return call(http.MethodPost, "/identification", map[string]any{"verificationId": vid})(b)
		},
		call(http.MethodPost, "/submit", nil),
	}
}

func signIn(name string) []func(*browser) (int, error) {
	var vid string
	return []func(*browser) (int, error){
		call(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}),
		call(http.MethodPost, "/verification/password", map[string]any{"identifier": usernameID(name), "password": "Wrong-Passw0rd!"}),
		verified("/verification/password", map[string]any{"identifier": usernameID(name), "password": password}, &vid),
		func(b *browser) (int, error) {
			return call(http.MethodPost, "/identification", map[string]any{"verificationId": vid})(b)
		},
		call(http.MethodPost, "/submit", nil),
	}
}

func codeSend(address string) []func(*browser) (int, error) {
	return []func(*browser) (int, error){
		call(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}),
		call(http.MethodPost, "/verification/verification-code",
			map[string]any{"identifier": map[string]string{"type": "email", "value": address}, "interactionEvent": "SignIn"}),
	}
}

func usernameID(name string) map[string]string {
	return map[string]string{"type": "username", "value": name}
}

// Two processes serving alternating requests of the same interactions
// answer as one does, and every code and webhook goes out once, not once
// per process.
func TestTwoProcessesAnswerAsOneAndDeliverOnce(t *testing.T) {
	c := startCluster(t)
	a, b := c.Apps[0].URL(), c.Apps[1].URL()
	const users = 8
	run := func(prefix string, bases ...string) [][]int {
		var all [][]int
		for i := range users {
			name := fmt.Sprintf("%s%d", prefix, i)
			for _, steps := range [][]func(*browser) (int, error){
				registration(name), signIn(name), codeSend(name + "@example.com"),
			} {
				statuses, err := newBrowser(bases...).script(steps...)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, statuses)
			}
		}
		return all
	}
	one := run("solo", a)
	both := run("pair", a, b)
	if !slices.EqualFunc(one, both, slices.Equal) {
		t.Fatalf("alternating processes answered differently:\none  %v\nboth %v", one, both)
	}
	if want := []int{204, 200, 201, 200}; !slices.Equal(one[0], want) {
		t.Fatalf("registration answered %v, want %v", one[0], want)
	}
	if want := []int{204, 422, 200, 204, 200}; !slices.Equal(one[1], want) {
		t.Fatalf("sign-in answered %v, want %v", one[1], want)
	}

	// Every code once: one mail per send, each to its address.
	mails := c.smtp.WaitMail(t, 2*users)
	time.Sleep(2 * time.Second) // a duplicate would arrive meanwhile
	mails = c.smtp.Mail()
	to := map[string]int{}
	for _, m := range mails {
		to[m.To[0]]++
	}
	for addr, n := range to {
		if n != 1 {
			t.Errorf("%s got %d mails", addr, n)
		}
	}
	if len(mails) != 2*users {
		t.Fatalf("%d mails for %d sends", len(mails), 2*users)
	}
	// Every webhook once: a registration and a sign-in per user and run.
	events := c.hooks.wait(t, 4*users)
	time.Sleep(2 * time.Second)
	if dup := c.hooks.duplicates(); len(dup) > 0 {
		t.Fatalf("webhooks delivered more than once: %v", dup)
	}
	if got := c.hooks.count(); got != 4*users {
		t.Fatalf("%d webhook deliveries (%v), want %d", got, events, 4*users)
	}
	t.Logf("two processes: %d interactions answered as by one; %d codes and %d webhooks, each delivered once",
		len(both), len(mails), c.hooks.count())
}

// The EVENTS stream's leader node is killed under a load of registrations
// through both processes: requests continue after the election, every
// acknowledged registration is in the log, and the window without any
// answer is measured (target <= 10 s).
func TestStreamLeaderLossUnderLoad(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	stream, err := c.js.Stream(ctx, eventstore.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	// Everything authtrail makes is replicated like the log.
	for _, name := range []string{"EVENTS", "AUTH_EVENTS", "CODE_KEYS", "POISON", "KV_user_ids", "KV_limits", "KV_limits_remembered"} {
		s, err := c.js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		if r := s.CachedInfo().Config.Replicas; r != 3 {
			t.Fatalf("%s has %d replicas, want 3", name, r)
		}
	}
	var (
		mu       sync.Mutex
		acked    []string
		okTimes  []time.Time // every answer below 500
		failures int
	)
	answered := func(at time.Time) {
		mu.Lock()
		okTimes = append(okTimes, at)
		mu.Unlock()
	}
	stop := make(chan struct{})
	var load sync.WaitGroup
	for w := range 4 {
		load.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("load%d_%d", w, i)
				br := newBrowser(c.Apps[i%2].URL(), c.Apps[(i+1)%2].URL())
				br.answered = answered
				statuses, err := br.script(registration(name)...)
				mu.Lock()
				if err == nil && slices.Equal(statuses, []int{204, 200, 201, 200}) {
					acked = append(acked, name)
				} else {
					failures++
					time.Sleep(50 * time.Millisecond)
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(4 * time.Second)
	info, err := stream.Info(ctx)
	if err != nil || info.Cluster == nil {
		t.Fatalf("stream info: %v", err)
	}
	leader := c.Node(info.Cluster.Leader)
	if leader == nil {
		t.Fatalf("no node named %q", info.Cluster.Leader)
	}
	killedAt := time.Now()
	leader.Kill()
	time.Sleep(20 * time.Second)
	close(stop)
	load.Wait()

	mu.Lock()
	defer mu.Unlock()
	// The unavailability is the longest stretch after the kill in which no
	// request got an answer (below 500) from either process.
	sort.Slice(okTimes, func(i, j int) bool { return okTimes[i].Before(okTimes[j]) })
	var window time.Duration
	last := killedAt
	lateAcks := 0
	for _, at := range okTimes {
		if at.Before(killedAt) {
			continue
		}
		lateAcks++
		window = max(window, at.Sub(last))
		last = at
	}
	// Every acknowledged registration is in the log: its username's claim.
	lost := 0
	for _, name := range acked {
		subject := eventstore.MustSubject(user.ClaimAggregateType, user.ClaimID(user.KindUsername, name))
		if _, err := stream.GetLastMsgForSubject(ctx, subject); err != nil {
			lost++
			t.Errorf("acknowledged registration %s is not in the log: %v", name, err)
		}
	}
	logErrors(t, c.Apps...)
	t.Logf("leader %s killed under load: %d registrations acknowledged, %d answers after the election, %d registrations refused or cut, "+
		"%d acknowledged lost; no answer for %.1f s around the kill",
		leader.Name, len(acked), lateAcks, failures, lost, window.Seconds())
	if lateAcks < 40 {
		t.Fatalf("only %d answers after the election", lateAcks)
	}
	// The target is 10 s. The raft election alone takes a random 4 to 9 s,
	// so the test fails only past 12 s: a loaded CI machine's latency on
	// top of a 9 s election must not turn it red.
	if window > 12*time.Second {
		t.Errorf("unavailable for %v, want at most 10 s (12 s with a loaded machine's slack)", window)
	}
}

// logErrors shows the first error lines of the processes' logs.
func logErrors(t *testing.T, apps ...*Process) {
	for _, p := range apps {
		data, _ := os.ReadFile(p.log)
		n := 0
		for _, line := range bytes.Split(data, []byte("\n")) {
			if bytes.Contains(line, []byte(`"level":"ERROR"`)) || bytes.Contains(line, []byte(`"status":5`)) {
				if n++; n <= 8 {
					t.Logf("%s: %.300s", p.Name, line)
				}
			}
		}
		if n > 8 {
			t.Logf("%s: %d more", p.Name, n-8)
		}
	}
}

// hookSink receives webhooks and counts deliveries by webhook-id.
type hookSink struct {
	url string
	mu  sync.Mutex
	ids map[string]int
	evs []string
}

func newHookSink(t *testing.T) *hookSink {
	s := &hookSink{ids: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Event string `json:"event"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		s.mu.Lock()
		s.ids[r.Header.Get("webhook-id")]++
		s.evs = append(s.evs, body.Event)
		s.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *hookSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ids)
}

func (s *hookSink) duplicates() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for id, n := range s.ids {
		if n > 1 {
			out[id] = n
		}
	}
	return out
}

func (s *hookSink) wait(t *testing.T, n int) []string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		s.mu.Lock()
		got := len(s.ids)
		evs := slices.Clone(s.evs)
		s.mu.Unlock()
		if got >= n {
			return evs
		}
	}
	t.Fatalf("%d webhooks within 30 s, want %d", s.count(), n)
	return nil
}
