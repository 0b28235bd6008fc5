package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/passkey/passkeytest"
	"github.com/authtrail/authtrail/domain/totp"
)

// mfaClient is a signed-in browser with a bound TOTP, authenticator and
// backup codes.
type mfaClient struct {
	*client
	secret   string
	key      *passkeytest.Authenticator
	lastStep uint64
	codes    []string // unused backup codes
}

// A TOTP code works once per step and user (replay protection), so each
// client cycles through its own users while a ticker moves the injected
// clock one step at a time; a backup code works once, so each client needs
// enough users for the backup-code rounds (about this many verifies a
// second per client, at most).
const (
	usersPerClient       = 40
	backupCodesPerVerify = 400
)

// perClient collects a load's own timings, one slice per client, when the
// operation includes waiting that is not the call (a fresh TOTP step, the
// WebAuthn options).
type perClient [][]time.Duration

func (l perClient) all() []time.Duration { return slices.Concat(l...) }

// measureMFA measures the TOTP, backup-code and WebAuthn verify calls over
// HTTP against bare fsync'd appends, in alternating rounds. Each verify
// claims the factor's use on the user alone (one append; the interaction
// folds it from there); a WebAuthn ceremony also writes its challenge on
// the interaction (the options step). The users are set up
// through a second server on the same store with cheap password hashing:
// passwords are not what is measured here.
func measureMFA(ctx context.Context, r *rig, transport http.RoundTripper, clients int, d time.Duration) (string, error) {
	_, ts, stop, err := r.server(ctx, "setup", func(o *api.Options) { o.Hasher = apitest.CheapHasher() })
	if err != nil {
		return "", err
	}
	// A brief run (the bench's own test) needs only a few users.
	usersEach := max(min(usersPerClient, int(d/(50*time.Millisecond))+4), int(d.Seconds()*backupCodesPerVerify/10)+1)
	users, setupTook, err := setUpPerClient(clients, usersEach, func(w, i int) (*mfaClient, error) {
		c := &mfaClient{client: newClient(ts.URL, transport, true), key: passkeytest.NewAuthenticator()}
		name := fmt.Sprintf("mfa%d_%d_%d", w, i, time.Now().UnixNano())
		if err := runSteps([]func() error{
			func() error { return c.register(ctx, name) },
			func() error { return c.signInUntilIdentified(ctx, name) },
			func() error { return c.bind(ctx, r.clock) },
			func() error { return c.signInUntilIdentified(ctx, name) },
		}); err != nil {
			return nil, err
		}
		// Measured on the rig's server, which shares the store and the cookie key.
		c.base = r.url
		return c, nil
	})
	// Its projections would otherwise read the log for the rest of the run.
	stop()
	if err != nil {
		return "", err
	}
	stopTicks := tickTOTPSteps(ctx, r.clock)
	defer stopTicks()
	nextTotp, nextBackup, nextWebAuthn := make([]int, clients), make([]int, clients), make([]int, clients)
	totpTimes, webAuthnTimes := make(perClient, clients), make(perClient, clients)
	totpVerify := func(ctx context.Context, w int) error {
		c := users[w][nextTotp[w]%len(users[w])]
		nextTotp[w]++
		for totp.Step(r.clock.Now()) <= c.lastStep {
			time.Sleep(time.Millisecond)
		}
		now := r.clock.Now()
		code, _ := totp.Code(c.secret, now)
		c.lastStep = totp.Step(now)
		t := time.Now()
		err := c.call(ctx, "POST", "/api/experience/verification/totp/verify", map[string]string{"code": code}, 200, nil)
		totpTimes[w] = append(totpTimes[w], time.Since(t))
		return err
	}
	backupVerify := func(ctx context.Context, w int) error {
		for nextBackup[w] < len(users[w]) && len(users[w][nextBackup[w]].codes) == 0 {
			nextBackup[w]++
		}
		if nextBackup[w] == len(users[w]) {
			return fmt.Errorf("client %d used all %d users' backup codes: raise backupCodesPerVerify", w, len(users[w]))
		}
		c := users[w][nextBackup[w]]
		code := c.codes[0]
		c.codes = c.codes[1:]
		return c.call(ctx, "POST", "/api/experience/verification/backup-code/verify", map[string]string{"code": code}, 200, nil)
	}
	webAuthnCeremony := func(ctx context.Context, w int) error {
		var opts struct {
			VerificationID        string          `json:"verificationId"`
			AuthenticationOptions json.RawMessage `json:"authenticationOptions"`
		}
		// Each ceremony adds a record to the interaction: spread them out
		// like real sign-ins, not hundreds on one interaction.
		c := users[w][nextWebAuthn[w]%len(users[w])]
		nextWebAuthn[w]++
		if err := c.call(ctx, "POST", "/api/experience/verification/web-authn/authentication", nil, 200, &opts); err != nil {
			return err
		}
		payload := c.key.Assert(opts.AuthenticationOptions, apitest.WebAuthnOrigin)
		t := time.Now()
		err := c.call(ctx, "POST", "/api/experience/verification/web-authn/authentication/verify",
			map[string]any{"verificationId": opts.VerificationID, "payload": payload}, 200, nil)
		webAuthnTimes[w] = append(webAuthnTimes[w], time.Since(t))
		return err
	}
	rounds := max(6, int(d/(4*startRound)))
	all, perRound, err := alternate(ctx, clients, d, rounds, bareAppends(r.store), totpVerify, backupVerify, webAuthnCeremony)
	stopTicks()
	if err != nil {
		return "", err
	}
	all[1].latencies, all[3].latencies = totpTimes.all(), webAuthnTimes.all()
	var b strings.Builder
	fmt.Fprintf(&b, "MFA verify calls at %d concurrent clients over HTTP (%d rounds of %v each, order rotating; each verify: the claim on the user alone):\n",
		clients, rounds, d/time.Duration(rounds))
	fmt.Fprintf(&b, "  (set-up of %d users with their factors: %v)\n", clients*usersEach, setupTook.Round(time.Second))
	fmt.Fprintf(&b, "  bare appends      %s\n", all[0])
	for _, l := range []struct {
		name   string
		i      int
		target float64
		note   string
	}{
		{"TOTP verify", 1, 0.5, ""},
		{"backup code", 2, 0.5, ""},
		{"WebAuthn verify", 3, 0.4, "  (rate of whole ceremonies: options + verify; latency of the verify)"},
	} {
		fmt.Fprintf(&b, "  %-17s %s%s\n", l.name, all[l.i], l.note)
		fmt.Fprintf(&b, "    throughput      %6.2f of bare over all rounds, median round %.2f, middle half %s (target >= 1,000/s with p99 <= 15ms, or >= %.1f of bare)\n",
			all[l.i].perSecond()/all[0].perSecond(), median(roundRatios(perRound, l.i, 0)), middleHalf(roundRatios(perRound, l.i, 0)), l.target)
	}
	return b.String(), nil
}

func (c *mfaClient) signInUntilIdentified(ctx context.Context, name string) error {
	var v struct{ VerificationID string }
	return runSteps([]func() error{
		func() error {
			return c.call(ctx, "PUT", "/api/experience", map[string]string{"interactionEvent": "SignIn"}, 204, nil)
		},
		func() error {
			return c.call(ctx, "POST", "/api/experience/verification/password",
				map[string]any{"identifier": map[string]string{"type": "username", "value": name}, "password": benchPassword}, 200, &v)
		},
		func() error {
			return c.call(ctx, "POST", "/api/experience/identification", map[string]string{"verificationId": v.VerificationID}, 204, nil)
		},
	})
}

// bind binds a TOTP, the authenticator and backup codes, then submits.
func (c *mfaClient) bind(ctx context.Context, clock *apitest.Clock) error {
	var secret struct{ VerificationID, Secret string }
	var reg struct {
		VerificationID      string          `json:"verificationId"`
		RegistrationOptions json.RawMessage `json:"registrationOptions"`
	}
	return runSteps([]func() error{
		func() error {
			return c.call(ctx, "POST", "/api/experience/verification/totp/secret", nil, 200, &secret)
		},
		func() error {
			c.secret = secret.Secret
			code, _ := totp.Code(c.secret, clock.Now())
			return c.call(ctx, "POST", "/api/experience/verification/totp/verify", map[string]string{"verificationId": secret.VerificationID, "code": code}, 200, nil)
		},
		func() error {
			return c.call(ctx, "POST", "/api/experience/profile/mfa", map[string]string{"type": "Totp", "verificationId": secret.VerificationID}, 204, nil)
		},
		func() error {
			return c.call(ctx, "POST", "/api/experience/verification/web-authn/registration", nil, 200, &reg)
		},
		func() error {
			payload := c.key.Register(reg.RegistrationOptions, apitest.WebAuthnOrigin)
			return c.call(ctx, "POST", "/api/experience/verification/web-authn/registration/verify", map[string]any{"verificationId": reg.VerificationID, "payload": payload}, 200, nil)
		},
		func() error {
			return c.call(ctx, "POST", "/api/experience/profile/mfa", map[string]string{"type": "WebAuthn", "verificationId": reg.VerificationID}, 204, nil)
		},
		func() error {
			var codes struct {
				VerificationID string   `json:"verificationId"`
				Codes          []string `json:"codes"`
			}
			if err := c.call(ctx, "POST", "/api/experience/verification/backup-code/generate", nil, 200, &codes); err != nil {
				return err
			}
			c.codes = codes.Codes
			return c.call(ctx, "POST", "/api/experience/profile/mfa", map[string]string{"type": "BackupCode", "verificationId": codes.VerificationID}, 204, nil)
		},
		func() error { return c.call(ctx, "POST", "/api/experience/submit", nil, 200, nil) },
	})
}

// tickTOTPSteps moves clock one TOTP step every 200 ms until stopped: a
// code works once per step and user, so the verifies need fresh steps.
func tickTOTPSteps(ctx context.Context, clock *apitest.Clock) (stop func()) {
	ctx, stop = context.WithCancel(ctx)
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				clock.Advance(totp.Period * time.Second)
			}
		}
	}()
	return stop
}

// setUpPerClient makes each clients' users at once, each client's one after
// another (newUser(w, i) is client w's i-th), and says how long it took; it
// stops a client at its first error.
func setUpPerClient[U any](clients, each int, newUser func(w, i int) (U, error)) ([][]U, time.Duration, error) {
	start := time.Now()
	users := make([][]U, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for w := range users {
		wg.Go(func() {
			for i := 0; i < each && errs[w] == nil; i++ {
				var u U
				if u, errs[w] = newUser(w, i); errs[w] == nil {
					users[w] = append(users[w], u)
				}
			}
		})
	}
	wg.Wait()
	return users, time.Since(start), errors.Join(errs...)
}
