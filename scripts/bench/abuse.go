package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/throttle"
)

// attackerIP is the one address the attacker sends from (X-Forwarded-For
// from the trusted loopback proxy); legitimate clients come as the
// loopback itself.
const attackerIP = "198.51.100.66"

// defaultFailedAttempts is limits.failedAttemptsPerIp's default.
var defaultFailedAttempts = throttle.Rate{Count: 30, Window: time.Minute}

// measureAbuse runs legitimate password sign-ins at workers clients in
// alternating rounds: quiet; while one attacker client sprays bad passwords
// and unknown usernames, as fast as it gets answers, at a server with the
// default per-address limit; and the same attacker at a server without it.
// Both servers share the store and the wall clock, so the limit refills
// as it would in production.
func measureAbuse(ctx context.Context, r *rig, transport http.RoundTripper, workers int, d time.Duration) (string, error) {
	limited, closeLimited, err := abuseServer(ctx, r, "abuse-limited", defaultFailedAttempts)
	if err != nil {
		return "", err
	}
	defer closeLimited()
	unlimited, closeUnlimited, err := abuseServer(ctx, r, "abuse-unlimited", throttle.Rate{})
	if err != nil {
		return "", err
	}
	defer closeUnlimited()
	clients, names, err := registerSignInUsers(ctx, limited.URL, transport, workers)
	if err != nil {
		return "", err
	}
	victims := make([]string, 4)
	for i := range victims {
		victims[i] = fmt.Sprintf("victim%d_%d", i, time.Now().UnixNano())
		if err := newClient(limited.URL, transport, true).register(ctx, victims[i]); err != nil {
			return "", err
		}
	}
	signIn := func(ctx context.Context, w int) error { return clients[w].signIn(ctx, names[w]) }
	var spray sprayer
	at := func(base string, attack bool) (before, after func() error) {
		before = func() error {
			for _, c := range clients {
				c.base = base
			}
			if attack {
				return spray.start(ctx, base, transport, victims)
			}
			return nil
		}
		after = func() error {
			if attack {
				spray.stop()
			}
			return nil
		}
		return before, after
	}
	quietBefore, quietAfter := at(limited.URL, false)
	attackBefore, attackAfter := at(limited.URL, true)
	openBefore, openAfter := at(unlimited.URL, true)
	rounds := max(6, int(d/signInRound))
	all, perRound, err := alternatePhases(ctx, workers, d, rounds,
		phase{op: signIn, before: quietBefore, after: quietAfter},
		phase{op: signIn, before: attackBefore, after: attackAfter},
		phase{op: signIn, before: openBefore, after: openAfter},
	)
	if err != nil {
		return "", err
	}
	if spray.err != nil {
		return "", spray.err
	}
	for _, c := range clients {
		c.base = r.url
	}
	attacked, unlimitedRatios := roundRatios(perRound, 1, 0), roundRatios(perRound, 2, 0)
	return fmt.Sprintf("password sign-ins at %d clients while one client sprays bad passwords and unknown usernames "+
		"(%d rounds of %v each, order rotating; limits.failedAttemptsPerIp %d per %v):\n"+
		"  quiet                  %s\n  attacked, limited      %s\n  attacked, no limit     %s\n"+
		"  attacker, limited      %d requests: %d refused as credentials, %d with 429\n"+
		"  attacker, no limit     %d requests: %d refused as credentials\n"+
		"  ratio limited/quiet    %6.2f over all rounds, median round %.2f, middle half %s (target >= 0.8)\n"+
		"  ratio no-limit/quiet   %6.2f over all rounds, median round %.2f\n",
		workers, rounds, d/time.Duration(rounds), defaultFailedAttempts.Count, defaultFailedAttempts.Window,
		all[0], all[1], all[2],
		spray.by[limited.URL].requests(), spray.by[limited.URL].invalid.Load(), spray.by[limited.URL].limited.Load(),
		spray.by[unlimited.URL].requests(), spray.by[unlimited.URL].invalid.Load(),
		all[1].perSecond()/all[0].perSecond(), median(attacked), middleHalf(attacked),
		all[2].perSecond()/all[0].perSecond(), median(unlimitedRatios)), nil
}

// abuseServer is a server like the rig's on its store, trusting the
// loopback's X-Forwarded-For, on the wall clock, with failedAttempts.
func abuseServer(ctx context.Context, r *rig, name string, failedAttempts throttle.Rate) (*httptest.Server, func(), error) {
	_, ts, stop, err := r.server(ctx, name, func(o *api.Options) {
		o.Clock = domain.SystemClock{}
		o.Experience.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		o.Experience.Limits = experience.Limits{FailedAttempts: failedAttempts}
	})
	return ts, stop, err
}

// sprayer is the attacker: one client sending wrong passwords for known
// victims and for unknown usernames, one request at a time.
type sprayer struct {
	by     map[string]*sprayCounts // by server URL
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

type sprayCounts struct{ invalid, limited, other atomic.Int64 }

func (c *sprayCounts) requests() int64 { return c.invalid.Load() + c.limited.Load() + c.other.Load() }

func (s *sprayer) start(ctx context.Context, base string, transport http.RoundTripper, victims []string) error {
	if s.by == nil {
		s.by = map[string]*sprayCounts{}
	}
	if s.by[base] == nil {
		s.by[base] = &sprayCounts{}
	}
	counts := s.by[base]
	c := newClient(base, transport, true)
	if err := c.call(ctx, "PUT", "/api/experience", map[string]string{"interactionEvent": "SignIn"}, 204, nil); err != nil {
		return err
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		for i := 0; ctx.Err() == nil; i++ {
			name := fmt.Sprintf("nobody%d", i)
			if i%2 == 0 {
				name = victims[i/2%len(victims)]
			}
			status, err := c.sprayOnce(ctx, name)
			switch {
			case ctx.Err() != nil:
			case err != nil:
				s.err = err
				return
			case status == http.StatusUnprocessableEntity || status == http.StatusBadRequest:
				counts.invalid.Add(1) // wrong credentials, or a victim locked by the sentinel
			case status == http.StatusTooManyRequests:
				counts.limited.Add(1)
			default:
				counts.other.Add(1)
			}
		}
	}()
	return nil
}

func (s *sprayer) stop() {
	s.cancel()
	<-s.done
}

var sprayBodies sync.Map // name -> []byte

// sprayOnce sends one wrong password for name from the attacker's address.
func (c *client) sprayOnce(ctx context.Context, name string) (int, error) {
	body, ok := sprayBodies.Load(name)
	if !ok {
		data, _ := json.Marshal(map[string]any{"identifier": map[string]string{"type": "username", "value": name}, "password": "Wrong-Passw0rd!"})
		body = data
		sprayBodies.Store(name, data)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/experience/verification/password", bytes.NewReader(body.([]byte)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", attackerIP)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
