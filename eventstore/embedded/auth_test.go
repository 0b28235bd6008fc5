package embedded_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/eventstore/embedded"
)

const (
	downName, downPass   = "dash", "dash-secret"
	auditName, auditPass = "auditor", "audit-secret"
)

// fixture is a listening server with a user per role and both streams,
// each holding two messages.
type fixture struct {
	ns *server.Server
	nc *nats.Conn // in-process
	js jetstream.JetStream
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ns, err := embedded.Start(embedded.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:-1", Users: []embedded.User{
		{Name: downName, Password: downPass},
		{Name: auditName, Password: auditPass, Role: embedded.RoleAudit},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { embedded.Shutdown(ns) })
	nc, err := embedded.Connect(ns, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	// EVENTS allows direct gets, as eventstore makes it on one node;
	// AUTH_EVENTS does not, so that both GetMsg paths are covered.
	for _, cfg := range []jetstream.StreamConfig{
		{Name: "EVENTS", Subjects: []string{"events.>"}, AllowDirect: true},
		{Name: "AUTH_EVENTS", Subjects: []string{"authtrail.>"}},
	} {
		if _, err := js.CreateStream(ctx, cfg); err != nil {
			t.Fatalf("in-process create stream %s: %v", cfg.Name, err)
		}
	}
	for _, subj := range []string{"events.a", "events.b", "authtrail.user.created", "authtrail.user.deleted"} {
		if _, err := js.Publish(ctx, subj, []byte(subj)); err != nil {
			t.Fatalf("in-process publish %s: %v", subj, err)
		}
	}
	return &fixture{ns: ns, nc: nc, js: js}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// client is an external connection that collects the errors the server
// reports asynchronously, permission violations among them.
type client struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	errs chan error
}

func (f *fixture) connect(t *testing.T, user, password string) *client {
	t.Helper()
	errs := make(chan error, 64)
	nc, err := nats.Connect(f.ns.ClientURL(), nats.UserInfo(user, password),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return &client{nc: nc, js: js, errs: errs}
}

// denied runs op and waits until the server refuses it with a permissions
// violation for a subject starting with prefix; verb is "Publish" or
// "Subscription". The op must fail too: JetStream calls get no answer and
// are cancelled, publishes and subscribes return nc.LastError().
func (c *client) denied(t *testing.T, verb, prefix string, op func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- op(ctx) }()
	want := fmt.Sprintf("%s to %q", verb, prefix)
	want = want[:len(want)-1] // prefix, not the whole subject
	timeout := time.After(3 * time.Second)
	for {
		select {
		case err := <-c.errs:
			if !errors.Is(err, nats.ErrPermissionViolation) || !strings.Contains(err.Error(), want) {
				continue
			}
			cancel()
			if err := <-done; err == nil {
				t.Errorf("%s %s...: the operation reported success", verb, prefix)
			}
			return
		case <-timeout:
			t.Fatalf("no permissions violation for %s %s...", verb, prefix)
		}
	}
}

func (c *client) publish(subject string) func(context.Context) error {
	return func(context.Context) error {
		if err := c.nc.Publish(subject, []byte("x")); err != nil {
			return err
		}
		if err := c.nc.Flush(); err != nil {
			return err
		}
		// The server's -ERR comes before the flush's PONG.
		return c.nc.LastError()
	}
}

func (c *client) subscribe(subject string) func(context.Context) error {
	return func(context.Context) error {
		if _, err := c.nc.SubscribeSync(subject); err != nil {
			return err
		}
		if err := c.nc.Flush(); err != nil {
			return err
		}
		return c.nc.LastError()
	}
}

// fetchData reads n messages from cons and returns their payloads.
func fetchData(t *testing.T, cons jetstream.Consumer, n int, ack bool) []string {
	t.Helper()
	batch, err := cons.Fetch(n, jetstream.FetchMaxWait(3*time.Second))
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	var got []string
	for msg := range batch.Messages() {
		got = append(got, string(msg.Data()))
		if ack {
			// DoubleAck waits for the server, so a refused ack fails here.
			if err := msg.DoubleAck(testContext(t)); err != nil {
				t.Fatalf("ack %s: %v", msg.Subject(), err)
			}
		}
	}
	if err := batch.Error(); err != nil {
		t.Fatalf("fetch: %v", err)
	}
	if len(got) != n {
		t.Fatalf("fetched %q, want %d messages", got, n)
	}
	return got
}

func TestExternalClientsMustAuthenticate(t *testing.T) {
	f := newFixture(t)
	for name, opts := range map[string][]nats.Option{
		"no credentials": nil,
		"wrong password": {nats.UserInfo(downName, auditPass)},
		"unknown user":   {nats.UserInfo("nobody", downPass)},
		"no password":    {nats.UserInfo(auditName, "")},
	} {
		nc, err := nats.Connect(f.ns.ClientURL(), opts...)
		if err == nil {
			nc.Close()
			t.Errorf("%s: connected", name)
		} else if !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("%s: %v, want an authorization violation", name, err)
		}
	}

	// A listener without users admits nobody from outside.
	ns, err := embedded.Start(embedded.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer embedded.Shutdown(ns)
	if nc, err := nats.Connect(ns.ClientURL()); err == nil {
		nc.Close()
		t.Error("anonymous client connected to a server without users")
	}
}

func TestConnectHasFullAccess(t *testing.T) {
	f := newFixture(t) // created both streams and published to them
	ctx := testContext(t)
	if err := f.js.DeleteStream(ctx, "AUTH_EVENTS"); err != nil {
		t.Fatalf("in-process delete stream: %v", err)
	}
	kv, err := f.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "codes"})
	if err != nil {
		t.Fatalf("in-process create KV: %v", err)
	}
	if _, err := kv.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatalf("in-process KV put: %v", err)
	}
}

func TestInProcessRepliesAreHiddenFromClients(t *testing.T) {
	f := newFixture(t)
	d := f.connect(t, auditName, auditPass)
	spy, err := d.nc.SubscribeSync("_INBOX.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// In-process replies carry EVENTS messages; they must not reach a
	// client's inbox wildcard.
	ctx := testContext(t)
	stream, err := f.js.Stream(ctx, "EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.GetMsg(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if msg, err := spy.NextMsg(100 * time.Millisecond); err == nil {
		t.Fatalf("client saw an in-process reply on %s", msg.Subject)
	}
}

func TestDownstreamRole(t *testing.T) {
	f := newFixture(t)
	d := f.connect(t, downName, downPass)
	ctx := testContext(t)

	t.Run("durable pull consumer on AUTH_EVENTS", func(t *testing.T) {
		cons, err := d.js.CreateOrUpdateConsumer(ctx, "AUTH_EVENTS", jetstream.ConsumerConfig{
			Durable: "dash", FilterSubject: "authtrail.>", AckPolicy: jetstream.AckExplicitPolicy,
		})
		if err != nil {
			t.Fatalf("create durable: %v", err)
		}
		got := fetchData(t, cons, 2, true)
		if got[0] != "authtrail.user.created" || got[1] != "authtrail.user.deleted" {
			t.Fatalf("fetched %q", got)
		}
		stream, err := d.js.Stream(ctx, "AUTH_EVENTS")
		if err != nil {
			t.Fatalf("stream info: %v", err)
		}
		info, err := stream.Consumer(ctx, "dash")
		if err != nil {
			t.Fatalf("consumer info: %v", err)
		}
		if ci := info.CachedInfo(); ci.NumAckPending != 0 || ci.AckFloor.Stream != 2 {
			t.Fatalf("acks not recorded: pending %d, floor %d", ci.NumAckPending, ci.AckFloor.Stream)
		}
		if names := stream.ConsumerNames(ctx); len(<-names.Name()) == 0 || names.Err() != nil {
			t.Fatalf("consumer names: %v", names.Err())
		}
		if err := d.js.DeleteConsumer(ctx, "AUTH_EVENTS", "dash"); err != nil {
			t.Fatalf("delete own consumer: %v", err)
		}
	})
	t.Run("ordered consumer on AUTH_EVENTS", func(t *testing.T) {
		cons, err := d.js.OrderedConsumer(ctx, "AUTH_EVENTS", jetstream.OrderedConsumerConfig{})
		if err != nil {
			t.Fatalf("ordered consumer: %v", err)
		}
		fetchData(t, cons, 2, false)
	})
	t.Run("no reading EVENTS", func(t *testing.T) {
		d.denied(t, "Publish", "$JS.API.CONSUMER.CREATE.EVENTS.", func(ctx context.Context) error {
			_, err := d.js.OrderedConsumer(ctx, "EVENTS", jetstream.OrderedConsumerConfig{})
			return err
		})
		d.denied(t, "Publish", "$JS.API.CONSUMER.CREATE.EVENTS.dash.events.>", func(ctx context.Context) error {
			_, err := d.js.CreateOrUpdateConsumer(ctx, "EVENTS", jetstream.ConsumerConfig{Durable: "dash", FilterSubject: "events.>"})
			return err
		})
		d.denied(t, "Publish", "$JS.API.STREAM.INFO.EVENTS", func(ctx context.Context) error {
			_, err := d.js.Stream(ctx, "EVENTS")
			return err
		})
		// GetMsg needs a stream handle, which the info request above denies;
		// ask the get endpoints directly.
		for _, subj := range []string{"$JS.API.STREAM.MSG.GET.EVENTS", "$JS.API.DIRECT.GET.EVENTS", "$JS.API.DIRECT.GET.EVENTS.events.a"} {
			d.denied(t, "Publish", subj, func(ctx context.Context) error {
				_, err := d.nc.RequestWithContext(ctx, subj, []byte(`{"seq":1}`))
				return err
			})
		}
		d.denied(t, "Subscription", "events.>", d.subscribe("events.>"))
		d.denied(t, "Subscription", "authtrail.>", d.subscribe("authtrail.>"))
	})
	t.Run("no writing", func(t *testing.T) {
		d.denied(t, "Publish", "events.x", d.publish("events.x"))
		d.denied(t, "Publish", "authtrail.x", d.publish("authtrail.x"))
		d.denied(t, "Publish", "admin.authtrail.ping", d.publish("admin.authtrail.ping"))
		d.denied(t, "Publish", "authtrail.x", d.publish("authtrail.x"))
		d.denied(t, "Publish", "$JS.API.STREAM.CREATE.MINE", func(ctx context.Context) error {
			_, err := d.js.CreateStream(ctx, jetstream.StreamConfig{Name: "MINE", Subjects: []string{"mine.>"}})
			return err
		})
		d.denied(t, "Publish", "$JS.API.STREAM.DELETE.AUTH_EVENTS", func(ctx context.Context) error {
			return d.js.DeleteStream(ctx, "AUTH_EVENTS")
		})
		d.denied(t, "Publish", "$JS.API.STREAM.CREATE.KV_mine", func(ctx context.Context) error {
			_, err := d.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "mine"})
			return err
		})
		d.denied(t, "Publish", "$KV.codes.k", d.publish("$KV.codes.k"))
	})
}

func TestAuditRole(t *testing.T) {
	f := newFixture(t)
	a := f.connect(t, auditName, auditPass)
	ctx := testContext(t)

	t.Run("ordered consumer on EVENTS", func(t *testing.T) {
		cons, err := a.js.OrderedConsumer(ctx, "EVENTS", jetstream.OrderedConsumerConfig{})
		if err != nil {
			t.Fatalf("ordered consumer: %v", err)
		}
		if got := fetchData(t, cons, 2, false); got[0] != "events.a" || got[1] != "events.b" {
			t.Fatalf("fetched %q", got)
		}
	})
	t.Run("get messages", func(t *testing.T) {
		for stream, last := range map[string]string{"EVENTS": "events.b", "AUTH_EVENTS": "authtrail.user.deleted"} {
			s, err := a.js.Stream(ctx, stream)
			if err != nil {
				t.Fatalf("stream info %s: %v", stream, err)
			}
			if msg, err := s.GetMsg(ctx, 1); err != nil || msg.Sequence != 1 {
				t.Fatalf("%s: get 1: %+v, %v", stream, msg, err)
			}
			if msg, err := s.GetLastMsgForSubject(ctx, last); err != nil || msg.Subject != last {
				t.Fatalf("%s: get last %s: %+v, %v", stream, last, msg, err)
			}
		}
	})
	t.Run("no writing", func(t *testing.T) {
		a.denied(t, "Publish", "events.x", a.publish("events.x"))
		a.denied(t, "Publish", "authtrail.x", a.publish("authtrail.x"))
		s, err := a.js.Stream(ctx, "EVENTS")
		if err != nil {
			t.Fatal(err)
		}
		a.denied(t, "Publish", "$JS.API.STREAM.PURGE.EVENTS", func(ctx context.Context) error { return s.Purge(ctx) })
		a.denied(t, "Publish", "$JS.API.STREAM.MSG.DELETE.EVENTS", func(ctx context.Context) error { return s.DeleteMsg(ctx, 1) })
		a.denied(t, "Publish", "$JS.API.STREAM.DELETE.EVENTS", func(ctx context.Context) error {
			return a.js.DeleteStream(ctx, "EVENTS")
		})
		a.denied(t, "Publish", "$JS.API.STREAM.CREATE.MINE", func(ctx context.Context) error {
			_, err := a.js.CreateStream(ctx, jetstream.StreamConfig{Name: "MINE", Subjects: []string{"mine.>"}})
			return err
		})
		a.denied(t, "Publish", "$JS.API.STREAM.UPDATE.EVENTS", func(ctx context.Context) error {
			_, err := a.js.UpdateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>", "more.>"}})
			return err
		})
		a.denied(t, "Publish", "$KV.codes.k", a.publish("$KV.codes.k"))
		a.denied(t, "Subscription", "events.>", a.subscribe("events.>"))
	})
	t.Run("admin requests", func(t *testing.T) {
		sub, err := f.nc.Subscribe(embedded.AdminSubjects, func(m *nats.Msg) { _ = m.Respond([]byte("pong")) })
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = sub.Unsubscribe() }()
		if err := f.nc.Flush(); err != nil {
			t.Fatal(err)
		}
		reply, err := a.nc.RequestWithContext(ctx, "admin.authtrail.ping", nil)
		if err != nil || string(reply.Data) != "pong" {
			t.Fatalf("admin ping: %v, %v", reply, err)
		}
	})
}

func TestStartValidatesUsers(t *testing.T) {
	for name, users := range map[string][]embedded.User{
		"unknown role":   {{Name: "a", Password: "p", Role: "admin"}},
		"empty name":     {{Password: "p"}},
		"empty password": {{Name: "a"}},
		"duplicate name": {{Name: "a", Password: "p"}, {Name: "a", Password: "q", Role: embedded.RoleAudit}},
	} {
		ns, err := embedded.Start(embedded.Options{DataDir: t.TempDir(), Users: users})
		if err == nil {
			embedded.Shutdown(ns)
			t.Errorf("%s: started", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "embedded: user ") {
			t.Errorf("%s: unclear error %q", name, err)
		}
	}
}
