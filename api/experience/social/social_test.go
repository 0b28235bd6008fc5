package social_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/workers/connectors/oidc"
)

// Event types the tests count.
const (
	evStarted    = "interaction.social.authorization_started"
	evCallback   = "interaction.social.callback_received"
	evExchange   = "interaction.social.exchange_started"
	evVerified   = "interaction.social.verified"
	evFailed     = "interaction.social.verification_failed"
	evIdentified = "interaction.identified"
	evLinked     = "user.identity.linked"
)

func ann() *mockoidc.MockUser {
	return &mockoidc.MockUser{Subject: "g-ann", Email: "Ann@Example.com", EmailVerified: true}
}

// A first social sign-in finds no user (404 user.identity_not_exist); the
// client switches to Register and the user is created with the provider's
// email and the identity; the next sign-in finds the user by it.
func TestFirstSocialSignInRegistersTheUserAndTheNextFindsIt(t *testing.T) {
	p := startProvider(t)
	srv := newServer(t, p, apitest.Options{})
	c := srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	a := authorize(t, p, c, "google", "s-1", ann())
	q := a.uri.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") != "s-1" {
		t.Fatalf("authorization URI %s: want PKCE S256, a nonce and the state", a.uri)
	}
	r := verify(c, "google", a.verificationID, a.callback())
	if r.Status != http.StatusOK || r.JSON()["verificationId"] != a.verificationID {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	evs := events(t, srv, c)
	for _, typ := range []string{evStarted, evCallback, evExchange, evVerified} {
		if count(evs, typ) != 1 {
			t.Fatalf("%s: %d in %v, want 1", typ, count(evs, typ), evs)
		}
	}
	for _, secret := range []string{a.code, a.state} {
		if strings.Contains(strings.Join(srv.Log(t), "\n"), secret) {
			t.Fatalf("the log holds a secret of the callback: %q", secret)
		}
	}
	wantError(t, c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": a.verificationID}),
		http.StatusNotFound, "user.identity_not_exist")
	c.Expect(http.MethodPut, "/interaction-event", map[string]any{"interactionEvent": "Register"}, http.StatusNoContent)
	c.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": a.verificationID}, http.StatusCreated)
	c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
	uid := registeredUser(t, srv, c)
	u := loadUser(t, srv, uid)
	if u.PrimaryEmail != "Ann@Example.com" {
		t.Fatalf("primary email %q, want the provider's", u.PrimaryEmail)
	}
	if len(u.Identities) != 1 || u.Identities[0].Target != "google" || u.Identities[0].ID != "g-ann" {
		t.Fatalf("identities %+v, want google g-ann", u.Identities)
	}
	if n := count(srv.EventTypes(t, accounts.Subject(uid)), evLinked); n != 1 {
		t.Fatalf("%d %s, want 1", n, evLinked)
	}

	again, vid := signedIn(t, srv, p, "google", ann())
	again.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusNoContent)
	again.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
	if n := count(events(t, srv, again), evIdentified); n != 1 {
		t.Fatalf("%d %s, want 1", n, evIdentified)
	}
	if n := count(srv.EventTypes(t, accounts.Subject(uid)), evLinked); n != 1 {
		t.Fatalf("a returning user's sign-in linked again: %d %s", n, evLinked)
	}
}

// A provider's verified email names the user who has it (relatedUser);
// linkSocialIdentity identifies that user and links the identity at
// submit. An unverified email relates no one, links no one, and a
// registration from it does not take the other user's email.
func TestRelatedUserByVerifiedEmailOnly(t *testing.T) {
	p := startProvider(t)
	srv := newServer(t, p, apitest.Options{})
	registerAnn(t, srv, p)

	t.Run("verified email offers and links the user", func(t *testing.T) {
		c, vid := signedIn(t, srv, p, "github", &mockoidc.MockUser{Subject: "gh-1", Email: "ann@example.com", EmailVerified: true})
		r := c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": vid})
		wantError(t, r, http.StatusNotFound, "user.identity_not_exist")
		related, _ := r.JSON()["data"].(map[string]any)["relatedUser"].(map[string]any)
		if related["type"] != "email" || related["value"] != "ann@example.com" {
			t.Fatalf("relatedUser %v, want the email", r.JSON()["data"])
		}
		c.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid, "linkSocialIdentity": true}, http.StatusNoContent)
		c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
		u := loadUserByEmail(t, srv, "ann@example.com")
		if len(u.Identities) != 2 {
			t.Fatalf("identities %+v, want google and github", u.Identities)
		}
	})
	t.Run("unverified email relates no one and is not taken", func(t *testing.T) {
		c, vid := signedIn(t, srv, p, "github", &mockoidc.MockUser{Subject: "gh-2", Email: "ann@example.com"})
		r := c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": vid})
		wantError(t, r, http.StatusNotFound, "user.identity_not_exist")
		if _, ok := r.JSON()["data"]; ok {
			t.Fatalf("an unverified email related a user: %s", r.Body)
		}
		wantError(t, c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": vid, "linkSocialIdentity": true}),
			http.StatusNotFound, "user.identity_not_exist")
		if n := count(events(t, srv, c), evIdentified); n != 0 {
			t.Fatalf("%d %s, want none", n, evIdentified)
		}
		c.Expect(http.MethodPut, "/interaction-event", map[string]any{"interactionEvent": "Register"}, http.StatusNoContent)
		r = c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": vid})
		wantError(t, r, http.StatusUnprocessableEntity, "user.missing_profile")
		if missing := r.JSON()["data"].(map[string]any)["missingProfile"].([]any); len(missing) != 1 || missing[0] != "email" {
			t.Fatalf("missingProfile %v, want email: another user's email is not offered", missing)
		}
	})
	t.Run("an identity linked to a user is not registered again", func(t *testing.T) {
		c, vid := signedIn(t, srv, p, "google", ann())
		c.Expect(http.MethodPut, "/interaction-event", map[string]any{"interactionEvent": "Register"}, http.StatusNoContent)
		wantError(t, c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": vid}),
			http.StatusUnprocessableEntity, "user.identity_already_in_use")
	})
}

// registerAnn registers ann through google.
func registerAnn(t *testing.T, srv *apitest.Server, p *provider) {
	t.Helper()
	c, vid := signedIn(t, srv, p, "google", ann())
	c.Expect(http.MethodPut, "/interaction-event", map[string]any{"interactionEvent": "Register"}, http.StatusNoContent)
	c.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusCreated)
	c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
}

// With socialSignIn.skipRequiredIdentifiers, a social registration needs
// none of the sign-up identifiers: the user is created with the identity
// only when the provider's email belongs to another user.
func TestSkipRequiredIdentifiersRegistersWithTheIdentityAlone(t *testing.T) {
	p := startProvider(t)
	sie := socialSettings()
	sie.SocialSignIn.SkipRequiredIdentifiers = true
	srv := newServer(t, p, apitest.Options{Settings: sie})
	registerAnn(t, srv, p)
	c, vid := signedIn(t, srv, p, "github", &mockoidc.MockUser{Subject: "gh-2", Email: "ann@example.com"})
	c.Expect(http.MethodPut, "/interaction-event", map[string]any{"interactionEvent": "Register"}, http.StatusNoContent)
	c.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusCreated)
	c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
	u := loadUser(t, srv, registeredUser(t, srv, c))
	if u.PrimaryEmail != "" || len(u.Identities) != 1 || u.Identities[0].ID != "gh-2" {
		t.Fatalf("user %q %+v: want no email (another user's) and the github identity", u.PrimaryEmail, u.Identities)
	}
}

// POST /profile {type: social} links a second provider's identity to the
// signed-in user at submit; an identity another user has is refused.
func TestProfileSocialLinksAnIdentityToTheSignedInUser(t *testing.T) {
	p := startProvider(t)
	srv := newServer(t, p, apitest.Options{})
	registerAnn(t, srv, p)
	c, vid := signedIn(t, srv, p, "google", ann())
	c.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusNoContent)
	gh := authorize(t, p, c, "github", "s-gh", &mockoidc.MockUser{Subject: "gh-ann", Email: "ann@example.com", EmailVerified: true})
	if r := verify(c, "github", gh.verificationID, gh.callback()); r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	c.Expect(http.MethodPost, "/profile", map[string]any{"type": "social", "verificationId": gh.verificationID}, http.StatusNoContent)
	c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
	if u := loadUserByEmail(t, srv, "ann@example.com"); len(u.Identities) != 2 {
		t.Fatalf("identities %+v, want google and github", u.Identities)
	}

	// bo registers through github; ann's github identity is not bo's to link.
	bo, vid := signedIn(t, srv, p, "github", &mockoidc.MockUser{Subject: "gh-bo", Email: "bo@example.com", EmailVerified: true})
	bo.Expect(http.MethodPut, "/interaction-event", map[string]any{"interactionEvent": "Register"}, http.StatusNoContent)
	bo.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusCreated)
	again := authorize(t, p, bo, "github", "s-again", &mockoidc.MockUser{Subject: "gh-ann", Email: "ann@example.com", EmailVerified: true})
	if r := verify(bo, "github", again.verificationID, again.callback()); r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	wantError(t, bo.Do(http.MethodPost, "/api/experience/profile", map[string]any{"type": "social", "verificationId": again.verificationID}),
		http.StatusUnprocessableEntity, "user.identity_already_in_use")
}

// A plain OAuth 2.0 connector: the identity comes from the user info
// endpoint through userInfoMapping, over the same routes and worker.
func TestOAuth2ConnectorSignsInByTheUserInfoEndpoint(t *testing.T) {
	p := startProvider(t)
	gitlike := federated.Connector{ID: "gitlike", Target: "gitlike", SyncProfile: true, Provider: oidc.New(oidc.Config{
		ClientID: p.ClientID, ClientSecret: p.ClientSecret, TokenAuth: oidc.TokenAuthPost, Scopes: []string{"openid", "email", "profile"},
		AuthorizationEndpoint: p.Addr() + mockoidc.AuthorizationEndpoint, TokenEndpoint: p.Addr() + mockoidc.TokenEndpoint,
		UserinfoEndpoint: p.Addr() + mockoidc.UserinfoEndpoint,
		Mapping:          oidc.Mapping{ID: "sub", Name: "preferred_username"}})}
	srv := newServer(t, p, apitest.Options{SocialConnectors: []federated.Connector{gitlike}})
	c := srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	a := authorize(t, p, c, "gitlike", "s-o", &mockoidc.MockUser{Subject: "o-1", Email: "olga@example.com", PreferredUsername: "olga"})
	if q := a.uri.Query(); q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" {
		t.Fatalf("authorization URI %s: want PKCE S256 and a nonce", a.uri)
	}
	if r := verify(c, "gitlike", a.verificationID, a.callback()); r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	// The user info says nothing of verification: no one is related.
	r := c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": a.verificationID})
	wantError(t, r, http.StatusNotFound, "user.identity_not_exist")
	c.Expect(http.MethodPut, "/interaction-event", map[string]any{"interactionEvent": "Register"}, http.StatusNoContent)
	c.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": a.verificationID}, http.StatusCreated)
	c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
	u := loadUser(t, srv, registeredUser(t, srv, c))
	if u.PrimaryEmail != "olga@example.com" || u.Name != "olga" || len(u.Identities) != 1 || u.Identities[0].Target != "gitlike" || u.Identities[0].ID != "o-1" {
		t.Fatalf("user %+v, want olga with the gitlike identity o-1", u)
	}
}
