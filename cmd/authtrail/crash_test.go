package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	netmail "net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/natstest"
	"github.com/authtrail/authtrail/workers/publicstream"
	"github.com/nats-io/nats.go/jetstream"
)

// crashConfig: usernames with passwords, email codes, TOTP at the user's
// choice, codes by SMTP to the test's own server. One client sends codes
// to thousands of new addresses, so the new-recipient limit is off.
const crashConfig = `
http: {addr: "%[1]s", publicUrl: "http://localhost:3001"}
nats: {dataDir: "%[2]s"}
signInExperience:
  signUp: {identifiers: [username], password: true, verify: false}
  signIn:
    methods:
      - {identifier: username, password: true, verificationCode: false, isPasswordPrimary: true}
      - {identifier: email, password: false, verificationCode: true, isPasswordPrimary: false}
  mfa: {factors: [Totp], policy: UserControlled}
connectors:
  email: {type: smtp, smtp: {host: 127.0.0.1, port: %[3]d, from: auth@example.com, tls: none}}
limits: {newRecipientsPerIp: {count: 0}}
`

// kill -9 under a mixed load of registrations, TOTP sign-ins and code
// sends: every step answered 2xx is in the log after the restarts, none is
// written twice, every acknowledged code arrives once, and the server is
// healthy again within a second of each restart.
func TestKill9UnderLoadLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a server twenty times; .ci/run runs it")
	}
	smtp := apitest.NewSMTPServer(t)
	dataDir := t.TempDir()
	srv := newChild(t, crashConfig, dataDir, smtp.Port)
	restarts := []time.Duration{srv.start()}
	l := &ledger{acked: map[string]string{}}
	users := registerTOTPUsers(t, srv.base, l, 24)

	const kills = 20
	stop := make(chan struct{})
	var load sync.WaitGroup
	for _, run := range []func(*loadClient){
		func(c *loadClient) { c.register() },
		func(c *loadClient) { c.signInWithTOTP(users) },
		func(c *loadClient) { c.sendCode() },
	} {
		load.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				run(newLoadClient(srv.base, l))
			}
		})
	}
	for range kills {
		time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
		srv.kill()
		restarts = append(restarts, srv.start())
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	load.Wait()

	// Every acknowledged code arrives; wait a little more for doubles.
	l.mu.Lock()
	sends, registered, ackedSteps, signIns := slices.Clone(l.sends), slices.Clone(l.registered), len(l.acked), l.signIns
	l.mu.Unlock()
	for deadline := time.Now().Add(30 * time.Second); len(missing(mailsTo(smtp), sends)) > 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	srv.stop()

	mails := mailsTo(smtp)
	if m := missing(mails, sends); len(m) > 0 {
		t.Errorf("%d of %d acknowledged codes never arrived: %v", len(m), len(sends), m)
	}
	// A kill between the SMTP server's acceptance and the outcome's append
	// repeats the SMTP conversation on redelivery; the repeat carries the
	// same Message-ID, so the mailbox holds one message. Two messages
	// (two Message-IDs) for one send would be a second send.
	doubled, repeated := 0, 0
	for to, ids := range mails {
		if len(ids) > 1 {
			doubled++
			t.Errorf("%s got %d different messages: %v", to, len(ids), ids)
		}
		for _, n := range ids {
			repeated += n - 1
		}
	}
	lost, twice, public := auditLog(t, dataDir, l, registered)
	slices.Sort(restarts)
	t.Logf("%d kills: %d steps acknowledged (%d registrations, %d TOTP sign-ins, %d code sends), %d lost, %d written twice, %d codes sent twice (%d SMTP conversations repeated with the same Message-ID); %s; restart to healthy p50 %v, p99 %v, max %v",
		kills, ackedSteps, len(registered), signIns, len(sends), lost, twice, doubled, repeated, public,
		restarts[len(restarts)/2], restarts[len(restarts)*99/100], restarts[len(restarts)-1])
	if p99 := restarts[len(restarts)*99/100]; p99 > restartBound {
		t.Errorf("restart to healthy p99 %v, want within %v", p99, restartBound)
	}
	if len(registered) == 0 || signIns == 0 || len(sends) == 0 {
		t.Errorf("the load made %d registrations, %d TOTP sign-ins and %d code sends; the test saw too little", len(registered), signIns, len(sends))
	}
}

// auditLog reads the log after the last stop and reports every
// acknowledged step without events, every event written twice by one
// request, and registrations missing or doubled.
func auditLog(t *testing.T, dataDir string, l *ledger, registered []string) (lost, twice int, public string) {
	t.Helper()
	ns := natstest.RunServerWithDataDir(t, dataDir, true)
	store := natstest.OpenStore(t, natstest.NewConn(t, ns), eventstore.Config{})
	var publicIDs []string // the log's public events, in order
	seen := map[string]int{}
	perRequest := map[string]int{}
	users := map[string]int{}
	err := store.Scan(context.Background(), func(env eventstore.Envelope) error {
		if publicstream.Public(env.AggType) {
			publicIDs = append(publicIDs, env.ID)
		}
		perRequest[env.CorrelationID]++
		seen[env.CorrelationID+" "+env.AggType+" "+env.AggID+" "+env.Type]++
		if env.Type == "user.registered" {
			var p struct {
				Username string `json:"username"`
			}
			if err := json.Unmarshal(env.Data, &p); err != nil {
				return err
			}
			users[p.Username]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, route := range l.acked {
		if perRequest[id] == 0 {
			lost++
			t.Errorf("acknowledged step %s (%s) wrote nothing to the log", id, route)
		}
	}
	for key, n := range seen {
		if n > 1 && !strings.HasPrefix(key, " ") {
			twice++
			t.Errorf("%s written %d times", key, n)
		}
	}
	for _, name := range registered {
		if users[name] != 1 {
			lost++
			t.Errorf("acknowledged registration %s is in the log %d times", name, users[name])
		}
	}
	for name, n := range users {
		if n > 1 {
			twice++
			t.Errorf("username %s registered %d times", name, n)
		}
	}
	return lost, twice, auditPublicStream(t, store, publicIDs)
}

// auditPublicStream checks that AUTH_EVENTS, written with asynchronous
// persistence through every kill, holds the log's public events once each
// and in order: all of them but an unpublished tail the last stop may
// have left.
func auditPublicStream(t *testing.T, store *eventstore.Store, want []string) string {
	t.Helper()
	ctx := context.Background()
	stream, err := store.JetStream().Stream(ctx, publicstream.Stream)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for seq := uint64(1); seq <= stream.CachedInfo().State.LastSeq; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m.Header.Get(jetstream.MsgIDHeader))
	}
	if len(got) > len(want) || !slices.Equal(got, want[:len(got)]) {
		t.Errorf("AUTH_EVENTS holds %d messages that are not the log's first %d public events, once each, in order", len(got), len(got))
	}
	return fmt.Sprintf("AUTH_EVENTS: %d of %d public events, once each, in order", len(got), len(want))
}

// mailsTo counts the mails that arrived by recipient and Message-ID.
func mailsTo(smtp *apitest.SMTPServer) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, m := range smtp.Mail() {
		id := ""
		if parsed, err := netmail.ReadMessage(strings.NewReader(m.Data)); err == nil {
			id = parsed.Header.Get("Message-Id")
		}
		for _, to := range m.To {
			if out[to] == nil {
				out[to] = map[string]int{}
			}
			out[to][id]++
		}
	}
	return out
}

func missing(mails map[string]map[string]int, sends []string) []string {
	var out []string
	for _, to := range sends {
		if len(mails[to]) == 0 {
			out = append(out, to)
		}
	}
	return out
}
