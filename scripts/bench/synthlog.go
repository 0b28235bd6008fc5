package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/authtrail/authtrail/api/experience/password"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
)

// synthSpec is a synthetic log of password sign-ins, as a busy tenant's
// users leave it: many interactions in flight at once, their events
// interleaved, an occasional wrong password, and the users' own events
// (which the interactions read model ignores) among them.
type synthSpec struct {
	events       int // stop after this many events; 0: no bound
	interactions int // start no more than this many; 0: no bound
	users        int
	concurrent   int     // interactions in flight at once
	failRate     float64 // share of interactions with a wrong password first
}

// synthLog is what was written.
type synthLog struct {
	events, interactions, failed int
	lastSeq                      uint64
	userIDs                      []string
	perUser                      []int // interactions of each user
	elapsed                      time.Duration
}

// usersFor spreads interactions over ~100 per user, at most 10,000 users:
// at 1M interactions that is the 10,000 users of the spec, and a smaller
// log keeps the same shape (a user's list still fills a page of 50).
func usersFor(interactions int) int { return max(1, min(10_000, interactions/100)) }

// synthWindow is how many publishes may await their ack: the log is
// written as fast as the server stores it, not one round trip at a time.
const synthWindow = 8192

// writeSynthLog publishes the log to the stream on nc. The events are
// what the experience API writes for a password sign-in, with the headers
// eventstore writes (eventstore.Envelope), so they decode with the
// server's own registry. Publishes are asynchronous in a large window;
// one connection keeps them in order.
func writeSynthLog(ctx context.Context, nc *nats.Conn, stream string, spec synthSpec) (synthLog, error) {
	var (
		errMu    sync.Mutex
		firstErr error
	)
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(synthWindow),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			errMu.Lock()
			defer errMu.Unlock()
			if firstErr == nil {
				firstErr = fmt.Errorf("publish %s: %w", m.Subject, err)
			}
		}))
	if err != nil {
		return synthLog{}, err
	}
	g := newSynth(spec)
	begin := time.Now()
	for {
		msg, ok := g.next()
		if !ok {
			break
		}
		if _, err := js.PublishMsgAsync(msg, jetstream.WithStallWait(time.Minute)); err != nil {
			return synthLog{}, fmt.Errorf("publish %s: %w", msg.Subject, err)
		}
		if g.out.events%synthWindow == 0 && ctx.Err() != nil {
			return synthLog{}, ctx.Err()
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return synthLog{}, ctx.Err()
	}
	errMu.Lock()
	defer errMu.Unlock()
	if firstErr != nil {
		return synthLog{}, firstErr
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return synthLog{}, err
	}
	g.out.lastSeq = s.CachedInfo().State.LastSeq
	g.out.elapsed = time.Since(begin)
	return g.out, nil
}

// feedChunk is how many events feedSynthLog folds per transaction: a
// page a transaction dirties goes to the WAL once however many of its rows
// changed, and rows with random keys dirty pages all over the table.
const feedChunk = 200_000

// feedSynthLog folds the log that writeSynthLog would write straight into
// version t of p in db, feedChunk events per transaction, with the seqs the
// log would give them: the rows are those p writes for these events,
// without the log in between. The version's checkpoint does not move.
func feedSynthLog(ctx context.Context, db *projections.DB, p projections.Projection, t projections.Tables, spec synthSpec) (synthLog, error) {
	g := newSynth(spec)
	begin := time.Now()
	envs := make([]eventstore.Envelope, 0, feedChunk)
	feed := func() error {
		err := projections.Feed(ctx, db, p, t, envs)
		envs = envs[:0]
		return err
	}
	for seq := uint64(1); ; seq++ {
		msg, ok := g.next()
		if !ok {
			break
		}
		env, err := eventstore.EnvelopeOf(msg.Subject, seq, msg.Header, msg.Data)
		if err != nil {
			return synthLog{}, err
		}
		if envs = append(envs, env); len(envs) == feedChunk {
			if err := feed(); err != nil {
				return synthLog{}, err
			}
		}
	}
	if len(envs) > 0 {
		if err := feed(); err != nil {
			return synthLog{}, err
		}
	}
	g.out.lastSeq = uint64(g.out.events)
	g.out.elapsed = time.Since(begin)
	return g.out, nil
}

// synth generates the log's messages one by one.
type synth struct {
	spec    synthSpec
	rng     *rand.Rand
	ids     domain.RandomIDs
	clock   time.Time
	slots   []*flight
	started int
	users   []synthUser
	out     synthLog
}

type synthUser struct {
	id, name, ip, agent string
	version             uint64 // events on the user's subject so far
}

// flight is an interaction in progress: the events still to write.
type flight struct {
	id      string
	version uint64
	user    *synthUser
	script  []domain.Event
}

// synthStep is the synthetic time between two events: a log of a few
// million events spans hours, as it would.
const synthStep = 5 * time.Millisecond

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
	"Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
}

func newSynth(spec synthSpec) *synth {
	g := &synth{spec: spec, rng: rand.New(rand.NewPCG(1, 2)), ids: domain.RandomIDs{Rand: rand.NewChaCha8([32]byte{})}}
	span := spec.events
	if span == 0 {
		span = spec.interactions * 5
	}
	// The newest event is about now.
	g.clock = time.Now().UTC().Add(-time.Duration(span) * synthStep).Truncate(time.Millisecond)
	g.users = make([]synthUser, max(spec.users, 1))
	g.out.perUser = make([]int, len(g.users))
	for i := range g.users {
		// Ids as accounts hands them out: 1, 2, 3...
		g.users[i] = synthUser{id: strconv.Itoa(i + 1), name: fmt.Sprintf("user%05d", i+1),
			ip: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), agent: userAgents[i%len(userAgents)]}
		g.out.userIDs = append(g.out.userIDs, g.users[i].id)
	}
	g.slots = make([]*flight, max(spec.concurrent, 1))
	return g
}

// next is the log's next message; false at its end.
func (g *synth) next() (*nats.Msg, bool) {
	if g.spec.events > 0 && g.out.events >= g.spec.events {
		return nil, false
	}
	// A user's own event now and then: the read model must skip it.
	if g.rng.IntN(200) == 0 {
		u := &g.users[g.rng.IntN(len(g.users))]
		if u.version > 0 {
			name := "Bench " + u.name
			return g.userMsg(u, &user.ProfileUpdated{Name: &name}), true
		}
	}
	i := g.rng.IntN(len(g.slots))
	f := g.slots[i]
	if f == nil {
		if g.spec.interactions > 0 && g.started >= g.spec.interactions {
			// No more starts: finish the ones in flight.
			for j, s := range g.slots {
				if s != nil {
					i, f = j, s
					break
				}
			}
			if f == nil {
				return nil, false
			}
		} else {
			var registered *nats.Msg
			f, registered = g.start()
			g.slots[i] = f
			if registered != nil {
				return registered, true
			}
		}
	}
	ev := f.script[0]
	f.script = f.script[1:]
	if len(f.script) == 0 {
		g.slots[i] = nil
	}
	f.version++
	return g.msg(eventstore.MustSubject(interaction.AggregateType, f.id), interaction.AggregateType, f.id, f.version, ev), true
}

// start begins an interaction of a random user; the user's registration
// comes first when the user is new.
func (g *synth) start() (*flight, *nats.Msg) {
	n := g.rng.IntN(len(g.users))
	u := &g.users[n]
	g.started++
	g.out.interactions++
	g.out.perUser[n]++
	f := &flight{id: g.ids.NewID(), user: u}
	ident := interaction.Identifier{Type: settings.IdentifierUsername, Value: u.name}
	vid := g.ids.NewID()
	f.script = append(f.script, &interaction.Started{Event: settings.EventSignIn, ExpiresAt: g.clock.Add(10 * time.Minute),
		Client: interaction.Client{IP: u.ip, UserAgent: u.agent}})
	if g.rng.Float64() < g.spec.failRate {
		g.out.failed++
		f.script = append(f.script, &password.Failed{Identifier: ident, Reason: "session.invalid_credentials"})
	}
	f.script = append(f.script,
		&password.Verified{VerificationID: vid, Identifier: ident, UserID: u.id},
		&interaction.Identified{UserID: u.id, VerificationID: vid},
		&interaction.Submitted{Event: settings.EventSignIn, UserID: u.id})
	var registered *nats.Msg
	if u.version == 0 {
		registered = g.userMsg(u, &user.Registered{UserID: u.id, Username: u.name, CreatedAt: g.clock, InteractionID: f.id})
	}
	return f, registered
}

func (g *synth) userMsg(u *synthUser, ev domain.Event) *nats.Msg {
	u.version++
	return g.msg(eventstore.MustSubject(user.AggregateType, u.id), user.AggregateType, u.id, u.version, ev)
}

// msg is ev as eventstore stores it: its envelope in headers, the payload
// as JSON. Every event is a request of its own, with its own correlation id.
func (g *synth) msg(subject, aggType, aggID string, version uint64, ev domain.Event) *nats.Msg {
	g.clock = g.clock.Add(synthStep)
	g.out.events++
	data, err := json.Marshal(ev)
	if err != nil {
		panic(err) // the events are ours: they always encode
	}
	schema := eventstore.DefaultSchema
	if v, ok := ev.(interface{ SchemaVersion() int }); ok {
		schema = v.SchemaVersion()
	}
	id := g.ids.NewID()
	actor := "interaction:" + aggID
	if aggType == user.AggregateType {
		actor = "user:" + aggID
	}
	h := nats.Header{}
	h.Set(eventstore.HeaderMsgID, id)
	h.Set(eventstore.HeaderWatermillUUID, id)
	h.Set(eventstore.HeaderType, ev.EventType())
	h.Set(eventstore.HeaderSchema, strconv.Itoa(schema))
	h.Set(eventstore.HeaderAggType, aggType)
	h.Set(eventstore.HeaderAggID, aggID)
	h.Set(eventstore.HeaderAggVersion, strconv.FormatUint(version, 10))
	h.Set(eventstore.HeaderTime, g.clock.Format(time.RFC3339Nano))
	h.Set(eventstore.HeaderActor, actor)
	h.Set(eventstore.HeaderCorrelationID, g.ids.NewID())
	return &nats.Msg{Subject: subject, Header: h, Data: data}
}
