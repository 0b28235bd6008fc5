package enterprisesso_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/experience/enterprisesso"
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/workers/connectors/saml"
	"github.com/authtrail/authtrail/workers/connectors/saml/samltest"
)

// samlFixture is a server with the SAML connectors "acme-saml" (domain
// saml.example) and "acme-saml-trusting" of one IdP on loopback.
type samlFixture struct {
	srv *apitest.Server
	idp *samltest.IdP
}

func newSAMLFixture(t *testing.T) *samlFixture {
	t.Helper()
	idp := samltest.NewIdP(t)
	var cs []enterprisesso.Connector
	for _, c := range []struct {
		id    string
		trust bool
	}{{"acme-saml", false}, {"acme-saml-trusting", true}} {
		acs := apitest.PublicURL + enterprisesso.ACSPath(c.id)
		sp, err := saml.New(saml.Config{ACSURL: acs, MetadataURL: acs + "/metadata", IDPMetadataXML: idp.MetadataXML()})
		if err != nil {
			t.Fatal(err)
		}
		idp.TrustSP(sp.EntityID(), acs)
		cs = append(cs, enterprisesso.Connector{Connector: federated.Connector{ID: c.id, TrustUnverifiedEmail: c.trust, Provider: sp},
			Name: "Acme SAML", Domains: []string{"saml.example"}, Metadata: sp.Metadata})
	}
	f := newFixture(t, apitest.Options{SSOConnectors: cs})
	return &samlFixture{srv: f.srv, idp: idp}
}

// authorize asks for the connector's authorization URI with state.
func (f *samlFixture) authorize(t *testing.T, c *apitest.Client, connector, state string) (vid, uri string) {
	t.Helper()
	body := c.Expect(http.MethodPost, "/verification/sso/"+connector+"/authorization-uri",
		map[string]any{"state": state, "redirectUri": redirectURI}, http.StatusOK)
	return body["verificationId"].(string), body["authorizationUri"].(string)
}

// post plays the IdP's auto-submitting form: a cross-site POST to the
// assertion consumer service, without the interaction cookie.
func (f *samlFixture) post(t *testing.T, connector, samlResponse, relayState string) *http.Response {
	t.Helper()
	form := url.Values{}
	if samlResponse != "" {
		form.Set("SAMLResponse", samlResponse)
	}
	if relayState != "" {
		form.Set("RelayState", relayState)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(f.srv.URL+enterprisesso.ACSPath(connector), form)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// signedIn runs the whole SAML sign-in of u up to a verified record: the
// authorization, the IdP, the ACS and its redirect, verify with the state.
func (f *samlFixture) signedIn(t *testing.T, connector string, u samltest.User) (*apitest.Client, string) {
	t.Helper()
	c := f.srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	vid, uri := f.authorize(t, c, connector, "st-"+u.NameID)
	response, relay := f.idp.SignIn(t, uri, u)
	resp := f.post(t, connector, response, relay)
	back, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(back.String(), redirectURI) || back.Query().Get("state") != "st-"+u.NameID {
		t.Fatalf("ACS: %d to %q, want 302 to the redirect URI with the state", resp.StatusCode, back)
	}
	if r := verify(c, connector, vid, map[string]any{"state": back.Query().Get("state")}); r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	return c, vid
}

func (f *samlFixture) events(t *testing.T, c *apitest.Client) []string {
	t.Helper()
	return (&fixture{srv: f.srv}).events(t, c)
}

// A first SAML sign-in: the AuthnRequest goes to the IdP with a RelayState
// naming the record, the IdP's response to the ACS, which records it and
// sends the browser back with the client's state; verify hands it to the
// worker, the user registers with the NameID as the identity; the next
// sign-in finds the user, and a SAML email links no one unless trusted.
func TestSAMLSignInThroughTheAssertionConsumerService(t *testing.T) {
	f := newSAMLFixture(t)
	c, vid := f.signedIn(t, "acme-saml", samltest.User{NameID: "n-erin", Email: "erin@saml.example", Name: "Erin"})
	evs := f.events(t, c)
	wantOnce(t, evs, evStarted, evResponse, evCallback, evExchange, evVerified)
	registerFirstTime(t, c, vid)
	u := f.srv.User(t, f.srv.RegisteredUser(t, c))
	if u.PrimaryEmail != "erin@saml.example" || len(u.Identities) != 1 || u.Identities[0].Target != f.idp.EntityID || u.Identities[0].ID != "n-erin" {
		t.Fatalf("user %+v, want erin@saml.example with the identity (IdP, n-erin)", u)
	}
	again, vid := f.signedIn(t, "acme-saml", samltest.User{NameID: "n-erin", Email: "erin@saml.example"})
	again.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusNoContent)

	// Another NameID with Erin's email: a SAML email is not verified.
	other, vid := f.signedIn(t, "acme-saml", samltest.User{NameID: "n-erin-2", Email: "erin@saml.example"})
	wantError(t, other.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": vid}),
		http.StatusNotFound, "user.sso_identity_not_exist")
	(&fixture{srv: f.srv}).createUser(t, "frank", "frank@saml.example", password)
	trusted, vid := f.signedIn(t, "acme-saml-trusting", samltest.User{NameID: "n-frank", Email: "frank@saml.example"})
	trusted.Expect(http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusNoContent)
	trusted.Expect(http.MethodPost, "/submit", nil, http.StatusOK)
	if u := f.srv.UserByEmail(t, "frank@saml.example"); len(u.Identities) != 1 || u.Identities[0].ID != "n-frank" {
		t.Fatalf("identities %+v, want the trusted connector's NameID", u.Identities)
	}
}

// A client without a browser posts {SAMLResponse, RelayState} to verify
// itself: the RelayState binds it to the record, no state is needed.
func TestSAMLResponsePostedToVerify(t *testing.T) {
	f := newSAMLFixture(t)
	c := f.srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	vid, uri := f.authorize(t, c, "acme-saml", "s")
	response, relay := f.idp.SignIn(t, uri, samltest.User{NameID: "n-1", Email: "one@saml.example"})
	wantError(t, verify(c, "acme-saml", vid, map[string]any{"SAMLResponse": response, "RelayState": relay + "x"}),
		http.StatusBadRequest, "session.csrf_token_mismatch")
	if r := verify(c, "acme-saml", vid, map[string]any{"SAMLResponse": response, "RelayState": relay}); r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	if evs := f.events(t, c); count(evs, evVerified) != 1 || count(evs, evFailed) != 1 || count(evs, evResponse) != 0 {
		t.Fatalf("events %v: want the mismatch and then the verification", evs)
	}
}

// Each bad SAML response is refused at verify with the contract's code and
// a verification_failed event saying why; none signs anyone in.
func TestSAMLAttacks(t *testing.T) {
	f := newSAMLFixture(t)
	acs := apitest.PublicURL + enterprisesso.ACSPath("acme-saml")
	user := samltest.User{NameID: "n-mallory", Email: "m@saml.example"}
	cases := []struct {
		name     string
		mangle   func(t *testing.T, uri string) (string, string)
		wantCode string
		status   int
	}{
		{"unsigned", func(t *testing.T, uri string) (string, string) {
			return f.idp.SignIn(t, uri, user, samltest.Unsigned())
		},
			"connector.authorization_failed", http.StatusUnauthorized},
		{"signed by another key", func(t *testing.T, uri string) (string, string) {
			return f.idp.SignIn(t, uri, user, samltest.SignedByAnotherKey())
		}, "connector.authorization_failed", http.StatusUnauthorized},
		{"another audience", func(t *testing.T, uri string) (string, string) {
			return f.idp.SignIn(t, uri, user, samltest.Audience("https://other.example/sp"))
		}, "connector.authorization_failed", http.StatusUnauthorized},
		{"another recipient", func(t *testing.T, uri string) (string, string) {
			return f.idp.SignIn(t, uri, user, samltest.Recipient(acs+"-other"))
		}, "connector.authorization_failed", http.StatusUnauthorized},
		{"outside its time window", func(t *testing.T, uri string) (string, string) {
			return f.idp.SignIn(t, uri, user, samltest.Shift(-10*time.Minute))
		}, "connector.authorization_failed", http.StatusUnauthorized},
		{"answering another request", func(t *testing.T, uri string) (string, string) {
			return f.idp.SignIn(t, uri, user, samltest.InResponseTo("id-0123456789abcdef"))
		}, "connector.authorization_failed", http.StatusUnauthorized},
		{"transient NameID", func(t *testing.T, uri string) (string, string) {
			return f.idp.SignIn(t, uri, samltest.User{NameID: "t-1", NameIDFormat: samltest.Transient})
		}, "connector.authorization_failed", http.StatusUnauthorized},
		{"a DTD with entity expansion", func(t *testing.T, uri string) (string, string) {
			response, relay := f.idp.SignIn(t, uri, user)
			bomb, err := samltest.BillionLaughs(response)
			if err != nil {
				t.Fatal(err)
			}
			return bomb, relay
		}, "connector.invalid_response", http.StatusBadRequest},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			c := f.srv.Client(t)
			c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
			vid, uri := f.authorize(t, c, "acme-saml", "s")
			response, relay := tt.mangle(t, uri)
			if resp := f.post(t, "acme-saml", response, relay); resp.StatusCode != http.StatusFound {
				t.Fatalf("ACS: %d, want 302 (the response is checked at verify)", resp.StatusCode)
			}
			wantError(t, verify(c, "acme-saml", vid, map[string]any{"state": "s"}), tt.status, tt.wantCode)
			evs := f.events(t, c)
			if count(evs, evFailed) != 1 || count(evs, evVerified) != 0 {
				t.Fatalf("events %v: want one verification_failed and no verified", evs)
			}
			wantError(t, c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": vid}),
				http.StatusBadRequest, "session.verification_failed")
		})
	}

	t.Run("replayed into another interaction", func(t *testing.T) {
		first, _ := f.signedIn(t, "acme-saml", samltest.User{NameID: "n-r", Email: "r@saml.example"})
		_ = first
		// The attacker captured a valid response of another sign-in and
		// posts it with their own interaction's RelayState.
		victim := f.srv.Client(t)
		victim.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
		_, victimURI := f.authorize(t, victim, "acme-saml", "v")
		captured, _ := f.idp.SignIn(t, victimURI, samltest.User{NameID: "n-victim"})
		attacker := f.srv.Client(t)
		attacker.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
		vid, uri := f.authorize(t, attacker, "acme-saml", "a")
		_, relay := f.idp.SignIn(t, uri, samltest.User{NameID: "n-attacker"})
		f.post(t, "acme-saml", captured, relay)
		wantError(t, verify(attacker, "acme-saml", vid, map[string]any{"state": "a"}), http.StatusUnauthorized, "connector.authorization_failed")
	})
	t.Run("replayed into the same record", func(t *testing.T) {
		c := f.srv.Client(t)
		c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
		vid, uri := f.authorize(t, c, "acme-saml", "s")
		response, relay := f.idp.SignIn(t, uri, samltest.User{NameID: "n-once"})
		f.post(t, "acme-saml", response, relay)
		c.Expect(http.MethodPost, "/verification/sso/acme-saml/verify", map[string]any{"verificationId": vid, "connectorData": map[string]any{"state": "s"}}, http.StatusOK)
		before := f.events(t, c)
		if resp := f.post(t, "acme-saml", response, relay); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("ACS replay: %d, want 400", resp.StatusCode)
		}
		wantError(t, verify(c, "acme-saml", vid, map[string]any{"SAMLResponse": response, "RelayState": relay}),
			http.StatusBadRequest, "session.connector_validation_session_not_found")
		if after := f.events(t, c); len(after) != len(before)+1 {
			t.Fatalf("events %v after %v: want only the refused verify recorded", after, before)
		}
	})
}

// The ACS records nothing for a POST that does not name a pending
// authorization of its connector; verify before any response is refused.
func TestSAMLAssertionConsumerServiceRefusals(t *testing.T) {
	f := newSAMLFixture(t)
	c := f.srv.Client(t)
	c.Expect(http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	vid, uri := f.authorize(t, c, "acme-saml", "s")
	response, relay := f.idp.SignIn(t, uri, samltest.User{NameID: "n-1"})
	before := f.events(t, c)
	for name, tt := range map[string]struct {
		connector, response, relay string
		status                     int
	}{
		"no RelayState":           {"acme-saml", response, "", http.StatusBadRequest},
		"unknown RelayState":      {"acme-saml", response, c.InteractionID() + ".nosuchrecord000000000", http.StatusBadRequest},
		"another interaction":     {"acme-saml", response, "abcdefghijklmnopqrstu." + vid, http.StatusBadRequest},
		"no SAMLResponse":         {"acme-saml", "", relay, http.StatusBadRequest},
		"another connector's ACS": {"acme-saml-trusting", response, relay, http.StatusBadRequest},
		"unknown connector":       {"nope", response, relay, http.StatusNotFound},
		"an OIDC connector":       {"acme", response, relay, http.StatusNotFound},
	} {
		if resp := f.post(t, tt.connector, tt.response, tt.relay); resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", name, resp.StatusCode, tt.status)
		}
	}
	if after := f.events(t, c); len(after) != len(before) {
		t.Fatalf("events %v after %v: the refused POSTs recorded something", after, before)
	}
	wantError(t, verify(c, "acme-saml", vid, map[string]any{"state": "s"}), http.StatusUnauthorized, "connector.authorization_failed")
	// The authorization is still pending: the IdP's answer completes it.
	f.post(t, "acme-saml", response, relay)
	c.Expect(http.MethodPost, "/verification/sso/acme-saml/verify", map[string]any{"verificationId": vid, "connectorData": map[string]any{"state": "s"}}, http.StatusOK)
}

// The SP metadata names our entity id and ACS for the IdP's administrator.
func TestSAMLMetadata(t *testing.T) {
	f := newSAMLFixture(t)
	resp, err := http.Get(f.srv.URL + enterprisesso.ACSPath("acme-saml") + "/metadata")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	acs := apitest.PublicURL + enterprisesso.ACSPath("acme-saml")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `entityID="`+acs+`/metadata"`) || !strings.Contains(string(body), acs+`"`) {
		t.Fatalf("metadata %d %s", resp.StatusCode, body)
	}
	for _, id := range []string{"acme", "nope"} {
		resp, err := http.Get(f.srv.URL + enterprisesso.ACSPath(id) + "/metadata")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s metadata: %d, want 404", id, resp.StatusCode)
		}
	}
}
