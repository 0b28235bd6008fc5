package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authtrail/authtrail/api/oidcprovider"
)

// benchClient is the OpenID Connect client of the authorization-code
// measurement: public, like the default demo.
var benchClient = oidcprovider.ClientConfig{ID: "bench", Type: oidcprovider.TypeSPA,
	RedirectURIs: []string{"http://localhost:3000/callback"}, Scopes: []string{"openid", "profile"}}

// authorizationCodeSignIn is one application sign-in, as a browser and its
// application make it: /oidc/auth (prompt=login, so the session of the
// last round cannot answer it), the sign-in page's API calls, the return to
// /oidc/auth/{uid}, the code exchanged at /oidc/token with its PKCE verifier.
func (c *client) authorizationCodeSignIn(ctx context.Context, name string) error {
	verifier := strings.Repeat("v", 43) + fmt.Sprint(time.Now().UnixNano())
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {benchClient.ID}, "redirect_uri": {benchClient.RedirectURIs[0]}, "response_type": {"code"},
		"scope": {"openid profile"}, "state": {"s"}, "prompt": {"login"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	if _, err := c.redirect(ctx, c.base+"/oidc/auth?"+q.Encode(), "/sign-in"); err != nil {
		return err
	}
	var v struct{ VerificationID string }
	var submitted struct{ RedirectTo string }
	steps := []func() error{
		func() error { return c.call(ctx, "GET", "/api/experience/interaction", nil, 200, nil) },
		func() error {
			return c.call(ctx, "POST", "/api/experience/verification/password",
				map[string]any{"identifier": map[string]string{"type": "username", "value": name}, "password": benchPassword}, 200, &v)
		},
		func() error {
			return c.call(ctx, "POST", "/api/experience/identification", map[string]string{"verificationId": v.VerificationID}, 204, nil)
		},
		func() error { return c.call(ctx, "POST", "/api/experience/submit", nil, 200, &submitted) },
	}
	if err := runSteps(steps); err != nil {
		return err
	}
	back, err := c.redirect(ctx, submitted.RedirectTo, "/callback")
	if err != nil {
		return err
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")}, "client_id": {benchClient.ID},
		"redirect_uri": {benchClient.RedirectURIs[0]}, "code_verifier": {verifier}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/oidc/token", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"id_token"`) {
		return fmt.Errorf("POST /oidc/token: %d %s", resp.StatusCode, body)
	}
	return nil
}

// redirect GETs target and returns the redirect's location, which must
// have the path suffix want.
func (c *client) redirect(ctx context.Context, target, want string) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasSuffix(loc.Path, want) {
		return nil, fmt.Errorf("GET %s: %d to %v, want a redirect to …%s", target, resp.StatusCode, loc, want)
	}
	return loc, nil
}

// measureAuthorizationCode compares whole authorization-code sign-ins with
// bare password sign-ins (the Experience API alone), in alternating rounds
// at the same concurrency: the provider must add little beyond the hash.
func measureAuthorizationCode(ctx context.Context, base string, transport http.RoundTripper, workers int, d time.Duration) (string, error) {
	clients, names, err := registerSignInUsers(ctx, base, transport, workers)
	if err != nil {
		return "", err
	}
	for _, c := range clients {
		c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	bare := func(ctx context.Context, w int) error { return clients[w].signIn(ctx, names[w]) }
	oidc := func(ctx context.Context, w int) error { return clients[w].authorizationCodeSignIn(ctx, names[w]) }
	rounds := max(4, int(d/signInRound))
	all, perRound, err := alternate(ctx, workers, d, rounds, bare, oidc)
	if err != nil {
		return "", err
	}
	ratios := roundRatios(perRound, 1, 0)
	return fmt.Sprintf("authorization-code sign-ins at %d concurrent clients (/oidc/auth, the page's 4 API calls, /oidc/auth/{uid}, "+
		"/oidc/token; %d rounds of %v each, order rotating):\n"+
		"  authorization code %s\n  bare sign-ins      %s\n"+
		"  ratio              %6.2f over all rounds, median round %.2f, middle half %s (target >= 0.85)\n",
		workers, rounds, d/time.Duration(rounds), all[1], all[0],
		all[1].perSecond()/all[0].perSecond(), median(ratios), middleHalf(ratios)), nil
}
