package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/passkey/passkeytest"
	"github.com/authtrail/authtrail/domain/totp"
)

// mfaClient is a signed-in browser with a bound TOTP and authenticator.
type mfaClient struct {
	*client
	secret   string
	key      *passkeytest.Authenticator
	lastStep uint64
}

// usersPerClient: a TOTP code works once per step and user (replay
// protection), so each client cycles through its own users while a ticker
// moves the injected clock one step at a time.
const usersPerClient = 40

// measureMFA measures the TOTP and WebAuthn verify calls over HTTP. The
// users are set up through a second server on the same store with cheap
// password hashing: passwords are not what is measured here.
func measureMFA(ctx context.Context, r *rig, transport http.RoundTripper, clients int, d time.Duration) (string, error) {
	_, ts, stop, err := r.server(ctx, "setup", func(o *api.Options) { o.Hasher = apitest.CheapHasher() })
	if err != nil {
		return "", err
	}
	// Its projections would otherwise read the log for the rest of the run.
	defer stop()
	users := make([][]*mfaClient, clients)
	for w := range users {
		for i := 0; i < usersPerClient; i++ {
			c := &mfaClient{client: newClient(ts.URL, transport, true), key: passkeytest.NewAuthenticator()}
			name := fmt.Sprintf("mfa%d_%d_%d", w, i, time.Now().UnixNano())
			if err := runSteps([]func() error{
				func() error { return c.register(ctx, name) },
				func() error { return c.signInUntilIdentified(ctx, name) },
				func() error { return c.bind(ctx, r.clock) },
				func() error { return c.signInUntilIdentified(ctx, name) },
			}); err != nil {
				return "", err
			}
			users[w] = append(users[w], c)
		}
	}
	tickCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-tickCtx.Done():
				return
			case <-t.C:
				r.clock.Advance(totp.Period * time.Second)
			}
		}
	}()
	next := make([]int, clients)
	totpLatencies := make([][]time.Duration, clients) // the call only, not the wait for a fresh step
	totps, err := load(ctx, clients, d, func(ctx context.Context, w int) error {
		c := users[w][next[w]%usersPerClient]
		next[w]++
		for totp.Step(r.clock.Now()) <= c.lastStep {
			time.Sleep(time.Millisecond)
		}
		now := r.clock.Now()
		code, _ := totp.Code(c.secret, now)
		c.lastStep = totp.Step(now)
		t := time.Now()
		err := c.call(ctx, "POST", "/api/experience/verification/totp/verify", map[string]string{"code": code}, 200, nil)
		totpLatencies[w] = append(totpLatencies[w], time.Since(t))
		return err
	})
	stop()
	if err != nil {
		return "", err
	}
	perWorker := make([][]time.Duration, clients) // verify-call latencies, one slice per worker
	ceremonies, err := load(ctx, clients, d, func(ctx context.Context, w int) error {
		var opts struct {
			VerificationID        string          `json:"verificationId"`
			AuthenticationOptions json.RawMessage `json:"authenticationOptions"`
		}
		c := users[w][0]
		if err := c.call(ctx, "POST", "/api/experience/verification/web-authn/authentication", nil, 200, &opts); err != nil {
			return err
		}
		payload := c.key.Assert(opts.AuthenticationOptions, apitest.WebAuthnOrigin)
		t := time.Now()
		err := c.call(ctx, "POST", "/api/experience/verification/web-authn/authentication/verify",
			map[string]any{"verificationId": opts.VerificationID, "payload": payload}, 200, nil)
		perWorker[w] = append(perWorker[w], time.Since(t))
		return err
	})
	if err != nil {
		return "", err
	}
	verifies := result{ops: ceremonies.ops, elapsed: ceremonies.elapsed, cpu: ceremonies.cpu}
	for _, l := range perWorker {
		verifies.latencies = append(verifies.latencies, l...)
	}
	totps.latencies = nil
	for _, l := range totpLatencies {
		totps.latencies = append(totps.latencies, l...)
	}
	return fmt.Sprintf("MFA verify calls at %d concurrent clients (over HTTP; each appends to the interaction and the user atomically):\n"+
		"  TOTP verify       %s\n  WebAuthn verify   %s  (rate of whole ceremonies: options + verify)\n",
		clients, totps, verifies), nil
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

// bind binds a TOTP and the authenticator, then submits.
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
		func() error { return c.call(ctx, "POST", "/api/experience/submit", nil, 200, nil) },
	})
}
