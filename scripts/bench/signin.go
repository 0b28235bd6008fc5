package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"runtime/debug"
	"strings"
	"time"

	"github.com/authtrail/authtrail/domain/password"
)

const benchPassword = "Bench-Passw0rd!"

// client is one browser: a cookie jar over a shared transport.
type client struct {
	base   string
	http   *http.Client
	header http.Header // sent with every call (a bearer token, say)
}

func newClient(base string, transport http.RoundTripper, cookies bool) *client {
	c := &client{base: base, http: &http.Client{Transport: transport}}
	if cookies {
		c.http.Jar, _ = cookiejar.New(nil)
	}
	return c
}

// call sends a JSON request and checks the status; out, if given, receives the body.
func (c *client) call(ctx context.Context, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (c *client) register(ctx context.Context, name string) error {
	var v struct{ VerificationID string }
	steps := []func() error{
		func() error {
			return c.call(ctx, "PUT", "/api/experience", map[string]string{"interactionEvent": "Register"}, 204, nil)
		},
		func() error {
			return c.call(ctx, "POST", "/api/experience/verification/new-password-identity",
				map[string]any{"identifier": map[string]string{"type": "username", "value": name}, "password": benchPassword}, 200, &v)
		},
		func() error {
			return c.call(ctx, "POST", "/api/experience/identification", map[string]string{"verificationId": v.VerificationID}, 201, nil)
		},
		func() error { return c.call(ctx, "POST", "/api/experience/submit", nil, 200, nil) },
	}
	return runSteps(steps)
}

func (c *client) signIn(ctx context.Context, name string) error {
	_, err := c.signInTimed(ctx, name)
	return err
}

// signInTimed signs in and tells how long the password step took.
func (c *client) signInTimed(ctx context.Context, name string) (time.Duration, error) {
	var v struct{ VerificationID string }
	var passwordStep time.Duration
	steps := []func() error{
		func() error {
			return c.call(ctx, "PUT", "/api/experience", map[string]string{"interactionEvent": "SignIn"}, 204, nil)
		},
		func() error {
			t := time.Now()
			err := c.call(ctx, "POST", "/api/experience/verification/password",
				map[string]any{"identifier": map[string]string{"type": "username", "value": name}, "password": benchPassword}, 200, &v)
			passwordStep = time.Since(t)
			return err
		},
		func() error {
			return c.call(ctx, "POST", "/api/experience/identification", map[string]string{"verificationId": v.VerificationID}, 204, nil)
		},
		func() error { return c.call(ctx, "POST", "/api/experience/submit", nil, 200, nil) },
	}
	return passwordStep, runSteps(steps)
}

func runSteps(steps []func() error) error {
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// signInRound is how long each load runs before the other takes over: a
// sign-in takes about 100ms, so a round holds a few dozen.
const signInRound = 2 * time.Second

// registerSignInUsers registers a user per worker, each with a browser of
// its own to sign in with.
func registerSignInUsers(ctx context.Context, base string, transport http.RoundTripper, workers int) ([]*client, []string, error) {
	clients := make([]*client, workers)
	names := make([]string, workers)
	for w := range clients {
		clients[w] = newClient(base, transport, true)
		names[w] = fmt.Sprintf("signin%d_%d", w, time.Now().UnixNano())
		if err := clients[w].register(ctx, names[w]); err != nil {
			return nil, nil, err
		}
	}
	return clients, names, nil
}

// measureSignIns compares full sign-ins with raw argon2id verifies at the
// same concurrency, in alternating rounds.
func measureSignIns(ctx context.Context, base string, transport http.RoundTripper, hasher *password.Hasher, workers int, d time.Duration) (string, error) {
	clients, names, err := registerSignInUsers(ctx, base, transport, workers)
	if err != nil {
		return "", err
	}
	digest, err := hasher.Hash(ctx, benchPassword)
	if err != nil {
		return "", err
	}
	verify := func(ctx context.Context, _ int) error {
		ok, err := hasher.Verify(ctx, benchPassword, digest)
		if err == nil && !ok {
			err = fmt.Errorf("argon2id verify failed")
		}
		return err
	}
	signIn := func(ctx context.Context, w int) error { return clients[w].signIn(ctx, names[w]) }
	rounds := max(4, int(d/signInRound))
	// Start from what the server holds, not what set-up left for the
	// scavenger (the users' registrations hash too).
	debug.FreeOSMemory()
	idle := currentRSS()
	resetPeakRSS()
	all, perRound, err := alternate(ctx, workers, d, rounds, verify, signIn)
	if err != nil {
		return "", err
	}
	peak := peakRSS()
	rawAll, signInAll := all[0], all[1]
	ratios := roundRatios(perRound, 1, 0)
	var b strings.Builder
	fmt.Fprintf(&b, "password sign-ins at %d concurrent clients (start, password, identification, submit over HTTP; %d rounds of %v each, order rotating):\n"+
		"  sign-ins        %s\n  argon2id raw    %s\n"+
		"  ratio           %6.2f over all rounds, median round %.2f, middle half %s (target >= 0.75)\n",
		workers, rounds, d/time.Duration(rounds), signInAll, rawAll,
		signInAll.perSecond()/rawAll.perSecond(), median(ratios), middleHalf(ratios))
	hashes := hasher.MaxConcurrent()
	fmt.Fprintf(&b, "  peak RSS        %.0f MiB (target <= 19 MiB x %d concurrent hashes + 100 MiB = %d MiB; the process holds server, NATS and clients; %.0f MiB before)\n",
		peak, hashes, 19*hashes+100, idle)

	// One client: what a sign-in costs beside its hash.
	var steps []time.Duration
	timed := func(ctx context.Context, _ int) error {
		step, err := clients[0].signInTimed(ctx, names[0])
		steps = append(steps, step)
		return err
	}
	one, _, err := alternate(ctx, 1, d, rounds, verify, timed)
	if err != nil {
		return "", err
	}
	raw1, in1 := one[0], one[1]
	cpuEach := func(r result) time.Duration { return r.cpu / time.Duration(max(r.ops, 1)) }
	stepResult := result{latencies: steps}
	fmt.Fprintf(&b, "  at 1 client:    sign-in %v of CPU each, bare verify %v: %.2f x (target <= 1.3)\n",
		cpuEach(in1).Round(10*time.Microsecond), cpuEach(raw1).Round(10*time.Microsecond), float64(cpuEach(in1))/float64(cpuEach(raw1)))
	fmt.Fprintf(&b, "                  password step p50 %v, bare verify p50 %v: %.2f x (target <= 1.2)\n",
		stepResult.percentile(0.5).Round(10*time.Microsecond), raw1.percentile(0.5).Round(10*time.Microsecond),
		ratio(stepResult.percentile(0.5), raw1.percentile(0.5)))

	// Steadiness: twelve rounds of sign-ins, each as long as -duration,
	// each beside a turn of bare verifies as long (order rotating). The
	// host's speed drifts over minutes (bare verifies alone move by a
	// fifth between rounds), so the slide is read from the sign-ins'
	// ratio to the hash in the same round; the raw rates are shown too.
	const steadyRounds = 12
	_, steady, err := alternate(ctx, workers, steadyRounds*d, steadyRounds, verify, signIn)
	if err != nil {
		return "", err
	}
	rates := make([]float64, steadyRounds)
	bare := make([]float64, steadyRounds)
	for i, round := range steady {
		bare[i], rates[i] = round[0].perSecond(), round[1].perSecond()
	}
	steadyRatios := roundRatios(steady, 1, 0)
	first, last := median(steadyRatios[:3]), median(steadyRatios[steadyRounds-3:])
	fmt.Fprintf(&b, "  %d rounds of %v at %d clients, each beside bare verifies as long:\n"+
		"                  sign-ins/s    %s\n                  bare verify/s %s\n"+
		"                  ratio         %s; last three's median %.2f / first three's %.2f = %.2f (target >= 0.95)\n"+
		"                  sign-ins alone: last three's median %.1f / first three's %.1f = %.2f\n",
		steadyRounds, d, workers, formatRates(rates), formatRates(bare), formatRatios(steadyRatios), last, first, last/first,
		median(rates[steadyRounds-3:]), median(rates[:3]), median(rates[steadyRounds-3:])/median(rates[:3]))
	return b.String(), nil
}

func formatRatios(ratios []float64) string {
	out := make([]string, len(ratios))
	for i, r := range ratios {
		out[i] = fmt.Sprintf("%.2f", r)
	}
	return strings.Join(out, " ")
}

func formatRates(rates []float64) string {
	out := make([]string, len(rates))
	for i, r := range rates {
		out[i] = fmt.Sprintf("%.1f", r)
	}
	return strings.Join(out, " ")
}
