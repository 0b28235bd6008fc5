package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/totp"
)

// mfaAPIUser is a user of the MFA API with a confirmed Authenticator.
type mfaAPIUser struct {
	id       string
	deviceID int64
	secret   string
	lastStep uint64
}

// measureMFAAPI measures the MFA API's TOTP verifications (POST
// /verifications, then PUT /verifications/{id} with the code) over HTTP
// against bare fsync'd appends, in alternating rounds. A verification
// claims the step on the user, then records the acceptance: two
// single-subject appends, as the Experience API's verifies. The users
// are set up through the Users and MFA APIs of a server with cheap
// password hashing, sharing the rig's store and clock.
func measureMFAAPI(ctx context.Context, r *rig, transport http.RoundTripper, clients int, d time.Duration) (string, error) {
	const clientID, clientSecret = "bench-mfa", "bench-mfa-secret-0123456789"
	_, ts, stop, err := r.server(ctx, "mfaapi", func(o *api.Options) {
		o.Hasher = apitest.CheapHasher()
		o.APIClients = []onelogin.Client{{ID: clientID, Secret: clientSecret, Scope: onelogin.ScopeManageAll}}
		o.MFAFactors = []mfaapi.Factor{{ID: 1, Name: "Authenticator", AuthFactorName: "Google Authenticator", Kind: mfaapi.KindTotp}}
		o.APIRatePerHour = math.MaxInt32
	})
	if err != nil {
		return "", err
	}
	defer stop()
	c := newClient(ts.URL, transport, false)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	c.header = http.Header{"Authorization": {"Basic " + basicAuth(clientID, clientSecret)}}
	if err := c.call(ctx, "POST", onelogin.TokenPath, map[string]string{"grant_type": "client_credentials"}, 200, &tok); err != nil {
		return "", err
	}
	c.header = http.Header{"Authorization": {"Bearer " + tok.AccessToken}}

	usersEach := min(usersPerClient, int(d/(50*time.Millisecond))+4)
	users, setupTook, err := setUpPerClient(clients, usersEach, func(w, i int) (*mfaAPIUser, error) {
		return enrollMFAAPIUser(ctx, c, r.clock, fmt.Sprintf("mfaapi%d_%d_%d", w, i, time.Now().UnixNano()))
	})
	if err != nil {
		return "", err
	}

	stopTicks := tickTOTPSteps(ctx, r.clock)
	defer stopTicks()
	next := make([]int, clients)
	verifyTimes := make(perClient, clients)
	verify := func(ctx context.Context, w int) error {
		u := users[w][next[w]%len(users[w])]
		next[w]++
		for totp.Step(r.clock.Now()) <= u.lastStep {
			time.Sleep(time.Millisecond)
		}
		var v struct {
			ID string `json:"id"`
		}
		if err := c.call(ctx, "POST", "/api/2/mfa/users/"+u.id+"/verifications", map[string]any{"device_id": u.deviceID}, 201, &v); err != nil {
			return err
		}
		now := r.clock.Now()
		code, _ := totp.Code(u.secret, now)
		u.lastStep = totp.Step(now)
		var out struct {
			Status string `json:"status"`
		}
		t := time.Now()
		err := c.call(ctx, "PUT", "/api/2/mfa/users/"+u.id+"/verifications/"+v.ID, map[string]string{"otp": code}, 200, &out)
		verifyTimes[w] = append(verifyTimes[w], time.Since(t))
		if err == nil && out.Status != mfaapi.StatusAccepted {
			err = fmt.Errorf("verification %s: %s", v.ID, out.Status)
		}
		return err
	}
	rounds := max(6, int(d/(4*startRound)))
	all, perRound, err := alternate(ctx, clients, d, rounds, bareAppends(r.store), verify)
	stopTicks()
	if err != nil {
		return "", err
	}
	all[1].latencies = verifyTimes.all()
	var b strings.Builder
	fmt.Fprintf(&b, "MFA API TOTP verifications at %d concurrent clients over HTTP (%d rounds of %v each, order rotating; a claim on the user, then the verification):\n",
		clients, rounds, d/time.Duration(rounds))
	fmt.Fprintf(&b, "  (set-up of %d users with an Authenticator: %v)\n", clients*usersEach, setupTook.Round(time.Second))
	fmt.Fprintf(&b, "  bare appends      %s\n", all[0])
	fmt.Fprintf(&b, "  verifications     %s  (rate of POST + PUT; latency of the PUT)\n", all[1])
	fmt.Fprintf(&b, "    throughput      %6.2f of bare over all rounds, median round %.2f, middle half %s\n",
		all[1].perSecond()/all[0].perSecond(), median(roundRatios(perRound, 1, 0)), middleHalf(roundRatios(perRound, 1, 0)))
	return b.String(), nil
}

// enrollMFAAPIUser creates a user through the Users API and confirms an
// Authenticator for it through the MFA API.
func enrollMFAAPIUser(ctx context.Context, c *client, clock *apitest.Clock, name string) (*mfaAPIUser, error) {
	var created struct {
		ID int64 `json:"id"`
	}
	if err := c.call(ctx, "POST", "/api/2/users", map[string]string{"username": name, "email": name + "@example.com",
		"password": benchPassword, "password_confirmation": benchPassword}, 201, &created); err != nil {
		return nil, err
	}
	u := &mfaAPIUser{id: strconv.FormatInt(created.ID, 10)}
	var reg struct {
		ID         string `json:"id"`
		DeviceID   string `json:"device_id"`
		FactorData struct {
			TotpURL string `json:"totp_url"`
		} `json:"factor_data"`
	}
	if err := c.call(ctx, "POST", "/api/2/mfa/users/"+u.id+"/registrations", map[string]any{"factor_id": 1, "display_name": "phone"}, 201, &reg); err != nil {
		return nil, err
	}
	totpURL, err := url.Parse(reg.FactorData.TotpURL)
	if err != nil {
		return nil, err
	}
	u.secret = totpURL.Query().Get("secret")
	if u.deviceID, err = strconv.ParseInt(reg.DeviceID, 10, 64); err != nil {
		return nil, err
	}
	now := clock.Now()
	code, _ := totp.Code(u.secret, now)
	u.lastStep = totp.Step(now)
	var st struct {
		Status string `json:"status"`
	}
	if err := c.call(ctx, "PUT", "/api/2/mfa/users/"+u.id+"/registrations/"+reg.ID, map[string]string{"otp": code}, 200, &st); err != nil {
		return nil, err
	}
	if st.Status != mfaapi.StatusAccepted {
		return nil, fmt.Errorf("registration %s: %s", reg.ID, st.Status)
	}
	return u, nil
}

// basicAuth is the credentials of an HTTP Basic Authorization header.
func basicAuth(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
}
