package enterprisesso_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/totp"
	"github.com/authtrail/authtrail/domain/user"
)

const password = "Secr3t!pass"

// A first SSO sign-in finds no user (404 user.sso_identity_not_exist); the
// client switches to Register and the user is created with the IdP's email
// and the identity (issuer, subject), with no mandatory profile asked; the
// next sign-in finds the user by the identity.
func TestFirstSSOSignInRegistersAndTheNextFindsTheUser(t *testing.T) {
	f := newFixture(t, apitest.Options{})
	c := f.srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	vid, data := f.authorize(t, c, "acme", "s-1", employee("e-1", "eve@acme.com", true))
	r := verify(c, "acme", vid, data)
	if r.Status != http.StatusOK || r.JSON()["verificationId"] != vid {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	evs := f.events(t, c)
	wantOnce(t, evs, evStarted, evCallback, evExchange, evVerified)
	registerFirstTime(t, c, vid)
	uid := f.srv.RegisteredUser(t, c)
	u := f.srv.User(t, uid)
	if u.PrimaryEmail != "eve@acme.com" || len(u.Identities) != 1 || u.Identities[0].Kind != user.KindSSO ||
		u.Identities[0].Target != f.idp.Issuer() || u.Identities[0].ID != "e-1" || u.Identities[0].ConnectorID != "acme" {
		t.Fatalf("user %+v, want eve@acme.com with the SSO identity (issuer, e-1)", u)
	}

	again, vid := f.signedIn(t, "acme", employee("e-1", "eve@acme.com", true))
	again.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusNoContent)
	again.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
	if n := count(f.events(t, again), evIdentified); n != 1 {
		t.Fatalf("%d %s, want 1", n, evIdentified)
	}
	if n := count(f.srv.EventTypes(t, accounts.Subject(uid)), evLinked); n != 1 {
		t.Fatalf("a returning user's sign-in linked again: %d %s", n, evLinked)
	}
}

// An IdP's verified email links the SSO identity to the user who has it;
// an unverified one links no one, unless the connector trusts it.
func TestSSOAutoLinksByVerifiedEmailOnly(t *testing.T) {
	f := newFixture(t, apitest.Options{})
	f.createUser(t, "bob", "bob@example.com", password)
	f.createUser(t, "carol", "carol@example.com", password)

	t.Run("unverified email", func(t *testing.T) {
		c, vid := f.signedIn(t, "acme", employee("e-bob", "bob@example.com", false))
		wantError(t, c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": vid}),
			http.StatusNotFound, "user.sso_identity_not_exist")
		if u := f.srv.UserByEmail(t, "bob@example.com"); len(u.Identities) != 0 {
			t.Fatalf("identities %+v, want none", u.Identities)
		}
	})
	t.Run("verified email", func(t *testing.T) {
		c, vid := f.signedIn(t, "acme", employee("e-bob", "bob@example.com", true))
		c.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusNoContent)
		c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
		u := f.srv.UserByEmail(t, "bob@example.com")
		if len(u.Identities) != 1 || u.Identities[0].ID != "e-bob" {
			t.Fatalf("identities %+v, want the SSO identity", u.Identities)
		}
		if n := count(f.srv.EventTypes(t, accounts.Subject(u.ID)), evLinked); n != 1 {
			t.Fatalf("%d %s, want 1", n, evLinked)
		}
	})
	t.Run("unverified email, trusted by the connector", func(t *testing.T) {
		c, vid := f.signedIn(t, "acme-trusting", employee("e-carol", "carol@example.com", false))
		c.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusNoContent)
		c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
		if u := f.srv.UserByEmail(t, "carol@example.com"); len(u.Identities) != 1 {
			t.Fatalf("identities %+v, want the SSO identity", u.Identities)
		}
	})
}

// A user with TOTP who signs in through SSO is asked for no MFA; the same
// user through a social provider is.
func TestSSOUserWithTotpSignsInWithoutMFA(t *testing.T) {
	f := newFixture(t, apitest.Options{})
	// Registered through SSO, binding a TOTP on the way.
	c, vid := f.signedIn(t, "acme", employee("e-dan", "dan@acme.com", true))
	c.Expect(http.MethodPut, "/interaction-event", map[string]any{"interactionEvent": "Register"}, http.StatusNoContent)
	c.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusCreated)
	secret := c.Expect(http.MethodPost, "/verification/totp/secret", nil, http.StatusOK)
	code, _ := totp.Code(secret["secret"].(string), f.srv.Clock.Now())
	c.Expect(http.MethodPost, "/verification/totp/verify", map[string]any{"verificationId": secret["verificationId"], "code": code}, http.StatusOK)
	c.Expect(http.MethodPost, "/profile/mfa", map[string]any{"type": "Totp", "verificationId": secret["verificationId"]}, http.StatusNoContent)
	c.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
	uid := f.srv.RegisteredUser(t, c)
	if u := f.srv.User(t, uid); len(u.Factors) != 1 {
		t.Fatalf("factors %+v, want the TOTP", u.Factors)
	}
	f.srv.Clock.Advance(30 * time.Second)

	again, vid := f.signedIn(t, "acme", employee("e-dan", "dan@acme.com", true))
	again.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusNoContent)
	again.Expect(http.MethodPost, "/submit", nil, http.StatusOK)

	// The same user, linked to a social identity, is asked for the TOTP.
	social := f.srv.Client(t)
	social.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	body := social.Expect(http.MethodPost, "/verification/social/google/authorization-uri",
		map[string]any{"state": "s", "redirectUri": redirectURI}, http.StatusOK)
	back := f.idp.Follow(t, body["authorizationUri"].(string), employee("g-dan", "dan@acme.com", true))
	social.Expect(http.MethodPost, "/verification/social/google/verify", map[string]any{"verificationId": body["verificationId"],
		"connectorData": map[string]any{"code": back.Query().Get("code"), "state": "s"}}, http.StatusOK)
	// The social email is of the SSO-only domain: refused before MFA.
	wantError(t, social.Do(http.MethodPost, "/api/experience/identification",
		map[string]any{"verificationId": body["verificationId"], "linkSocialIdentity": true}), http.StatusUnprocessableEntity, "session.sso_enabled")
}

// With SSO on, an email of a connector's domain signs in only through it:
// a password or an email code of bob@acme.com is refused at identification
// with session.sso_enabled naming the connector, and the refusal recorded.
func TestSSOOnlyDomainRefusesPasswordAndCodeSignIn(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	f := newFixture(t, apitest.Options{SMTP: smtp})
	f.createUser(t, "bob", "bob@ACME.com", password)

	c := f.srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	vid := c.Expect(http.MethodPost, "/verification/password", map[string]any{
		"identifier": map[string]string{"type": "email", "value": "bob@acme.com"}, "password": password}, http.StatusOK)["verificationId"]
	r := c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": vid})
	wantError(t, r, http.StatusUnprocessableEntity, "session.sso_enabled")
	list, _ := r.JSON()["data"].(map[string]any)["ssoConnectors"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != "acme" || list[0].(map[string]any)["connectorName"] != "Acme SSO" || len(list[0].(map[string]any)) != 2 {
		t.Fatalf("data %s: want the connector's id and name only", r.Body)
	}
	evs := f.events(t, c)
	if count(evs, evRequest) != 1 || count(evs, evIdentified) != 0 {
		t.Fatalf("events %v: want the refusal recorded and no identification", evs)
	}

	code := f.srv.Client(t)
	code.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	id := map[string]string{"type": "email", "value": "bob@acme.com"}
	before := len(smtp.Mail())
	cvid := code.Expect(http.MethodPost, "/verification/verification-code", map[string]any{"identifier": id, "interactionEvent": "SignIn"}, http.StatusOK)["verificationId"]
	mail := smtp.WaitMail(t, before+1)[before]
	code.Expect(http.MethodPost, "/verification/verification-code/verify", map[string]any{"identifier": id, "verificationId": cvid, "code": mail.Code()}, http.StatusOK)
	wantError(t, code.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": cvid}),
		http.StatusUnprocessableEntity, "session.sso_enabled")

	// The same user through the SSO connector is fine.
	sso, svid := f.signedIn(t, "acme", employee("e-bob", "bob@acme.com", true))
	sso.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": svid}, http.StatusNoContent)
	sso.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
}

// GET /sso-connectors lists the connectors of the email's domain, in any
// case; none with SSO off; it needs the cookie and an email.
func TestSSOConnectorsByEmailDomain(t *testing.T) {
	f := newFixture(t, apitest.Options{})
	c := f.srv.Client(t)
	wantError(t, c.Do(http.MethodGet, "/api/experience/sso-connectors?email=a@acme.com", nil), http.StatusBadRequest, "session.not_found")
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	for email, want := range map[string]int{"a@acme.com": 1, "A@aCmE.cOm": 1, "a@example.com": 0} {
		r := c.Do(http.MethodGet, "/api/experience/sso-connectors?email="+email, nil)
		ids, _ := r.JSON()["connectorIds"].([]any)
		if r.Status != http.StatusOK || len(ids) != want || want == 1 && ids[0] != "acme" {
			t.Fatalf("%s: %d %s, want %d connector", email, r.Status, r.Body, want)
		}
	}
	for _, bad := range []string{"", "nobody", "a@"} {
		wantError(t, c.Do(http.MethodGet, "/api/experience/sso-connectors?email="+bad, nil), http.StatusBadRequest, "guard.invalid_input")
	}

	off := ssoSettings()
	off.SingleSignOnEnabled = false
	g := newFixture(t, apitest.Options{Settings: off})
	d := g.srv.Client(t)
	d.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	if r := d.Do(http.MethodGet, "/api/experience/sso-connectors?email=a@acme.com", nil); string(r.Body) != `{"connectorIds":[]}`+"\n" && string(r.Body) != `{"connectorIds":[]}` {
		t.Fatalf("SSO off: %s, want no connector", r.Body)
	}
}
