package saml_test

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"

	"github.com/authtrail/authtrail/workers/connectors"
	"github.com/authtrail/authtrail/workers/connectors/saml"
	"github.com/authtrail/authtrail/workers/connectors/saml/samltest"
)

const (
	acsURL      = "https://auth.example.com/api/sso/saml/acs"
	metadataURL = "https://auth.example.com/api/sso/saml/metadata"
)

// testClock is Config.Now: the real time moved by an offset.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time      { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) set(d time.Duration) { c.offset.Store(int64(d)) }
func (c *testClock) reset()              { c.set(0) }

// fixture is a connector whose SP the IdP trusts (by the connector's own
// metadata).
type fixture struct {
	idp   *samltest.IdP
	conn  *saml.Connector
	clock *testClock
}

func newFixture(t *testing.T, edit func(*saml.Config, *samltest.IdP)) *fixture {
	t.Helper()
	idp := samltest.NewIdP(t)
	clock := &testClock{}
	cfg := saml.Config{ACSURL: acsURL, MetadataURL: metadataURL, IDPMetadataXML: idp.MetadataXML(), Now: clock.now}
	if edit != nil {
		edit(&cfg, idp)
	}
	conn, err := saml.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	md, err := conn.Metadata(context.Background())
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	idp.TrustSPMetadata(t, md)
	return &fixture{idp: idp, conn: conn, clock: clock}
}

var requests atomic.Int64

func newAuthorization() connectors.Authorization {
	n := requests.Add(1)
	return connectors.Authorization{RequestID: fmt.Sprintf("id-test%d%x", n, time.Now().UnixNano()), RelayState: fmt.Sprintf("rs-%d", n), State: "client-state"}
}

// signIn runs AuthorizationURL and the IdP's sign-in, and returns the
// authorization and the SAMLResponse to exchange.
func (f *fixture) signIn(t *testing.T, u samltest.User, opts ...samltest.Option) (connectors.Authorization, string) {
	t.Helper()
	a := newAuthorization()
	location, err := f.conn.AuthorizationURL(context.Background(), a)
	if err != nil {
		t.Fatalf("AuthorizationURL: %v", err)
	}
	response, relayState := f.idp.SignIn(t, location, u, opts...)
	if relayState != a.RelayState {
		t.Fatalf("RelayState %q, want %q", relayState, a.RelayState)
	}
	return a, response
}

func (f *fixture) roundTrip(t *testing.T, u samltest.User, opts ...samltest.Option) (connectors.UserInfo, error) {
	t.Helper()
	a, response := f.signIn(t, u, opts...)
	return f.conn.Exchange(context.Background(), a, response)
}

func wantError(t *testing.T, err error, code string, permanent bool, reason string) *connectors.Error {
	t.Helper()
	var ce *connectors.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want a *connectors.Error %s", err, err, code)
	}
	if ce.Code != code || ce.Permanent != permanent {
		t.Fatalf("error %v: code %q permanent %v, want %q %v", err, ce.Code, ce.Permanent, code, permanent)
	}
	if !strings.Contains(err.Error(), reason) {
		t.Fatalf("error %q does not say %q", err, reason)
	}
	if strings.Contains(err.Error(), "<saml") || strings.Contains(err.Error(), "PHNhbWxw") {
		t.Fatalf("error %q quotes the response", err)
	}
	return ce
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	a, response := f.signIn(t, samltest.User{NameID: "user-42", Email: "ada@example.com", Name: "Ada Lovelace",
		Attributes: map[string]string{"avatar": "https://example.com/ada.png"}})
	info, err := f.conn.Exchange(context.Background(), a, response)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	doc, _ := samltest.Decode(response)
	if info.AssertionID == "" || !bytes.Contains(doc, []byte(`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="`+info.AssertionID+`"`)) {
		t.Errorf("AssertionID %q is not the assertion's ID", info.AssertionID)
	}
	want := connectors.UserInfo{ID: "user-42", Email: "ada@example.com", Name: "Ada Lovelace", Avatar: "https://example.com/ada.png",
		Issuer: f.idp.EntityID, AssertionID: info.AssertionID}
	if info != want {
		t.Errorf("UserInfo %+v, want %+v", info, want)
	}
	if f.conn.EntityID() != metadataURL {
		t.Errorf("EntityID %q, want the metadata URL", f.conn.EntityID())
	}
}

// Either signature is enough (crewjam's rule): the Response's covers its
// assertion.
func TestSignedResponseOrAssertion(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for name, opt := range map[string]samltest.Option{"assertion only": samltest.SignAssertionOnly(), "response only": samltest.SignResponseOnly()} {
		info, err := f.roundTrip(t, samltest.User{NameID: "u1"}, opt)
		if err != nil || info.ID != "u1" {
			t.Errorf("%s: %+v, %v", name, info, err)
		}
	}
}

func TestAttributes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	mailByFriendlyName := crewjam.Attribute{Name: "urn:oid:0.9.2342.19200300.100.1.3", FriendlyName: "mail",
		Values: []crewjam.AttributeValue{{Value: "friendly@example.com"}}}
	tests := []struct {
		name            string
		user            samltest.User
		email, userName string
	}{
		{"emailAddress NameID", samltest.User{NameID: "nameid@example.com", NameIDFormat: samltest.EmailAddress, Email: "attr@example.com"}, "nameid@example.com", ""},
		{"email attribute", samltest.User{NameID: "u", Email: "email@example.com"}, "email@example.com", ""},
		{"mail attribute", samltest.User{NameID: "u", Attributes: map[string]string{"mail": "mail@example.com"}}, "mail@example.com", ""},
		{"claims URI", samltest.User{NameID: "u", Attributes: map[string]string{
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": "claims@example.com",
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":         "Claims Name"}}, "claims@example.com", "Claims Name"},
		{"email before mail", samltest.User{NameID: "u", Email: "email@example.com", Attributes: map[string]string{"mail": "mail@example.com"}}, "email@example.com", ""},
		{"empty email skipped", samltest.User{NameID: "u", Attributes: map[string]string{"email": " ", "mail": "mail@example.com"}}, "mail@example.com", ""},
		{"by FriendlyName", samltest.User{NameID: "u", RawAttributes: []crewjam.Attribute{mailByFriendlyName}}, "friendly@example.com", ""},
		{"displayName", samltest.User{NameID: "u", Attributes: map[string]string{"displayName": "Display"}}, "", "Display"},
		{"name before displayName", samltest.User{NameID: "u", Name: "Name", Attributes: map[string]string{"displayName": "Display"}}, "", "Name"},
		{"unspecified NameID", samltest.User{NameID: "u", NameIDFormat: samltest.Unspecified}, "", ""},
	}
	for _, tt := range tests {
		info, err := f.roundTrip(t, tt.user)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if info.ID != tt.user.NameID || info.Email != tt.email || info.Name != tt.userName || info.EmailVerified {
			t.Errorf("%s: %+v, want id %q email %q name %q, unverified", tt.name, info, tt.user.NameID, tt.email, tt.userName)
		}
	}
	info, err := f.roundTrip(t, samltest.User{NameID: "no-format"}, samltest.WithoutNameIDFormat())
	if err != nil || info.ID != "no-format" {
		t.Errorf("NameID without Format: %+v, %v", info, err)
	}
}

func TestCustomMapping(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *saml.Config, _ *samltest.IdP) {
		c.AttributeMapping = saml.Mapping{Email: "corpMail", Name: "fullName", Avatar: "photo"}
	})
	info, err := f.roundTrip(t, samltest.User{NameID: "u", Email: "default@example.com", Name: "Default",
		Attributes: map[string]string{"corpMail": "corp@example.com", "fullName": "Full Name", "photo": "https://example.com/p.png", "avatar": "https://example.com/a.png"}})
	if err != nil {
		t.Fatal(err)
	}
	if info.Email != "corp@example.com" || info.Name != "Full Name" || info.Avatar != "https://example.com/p.png" {
		t.Errorf("%+v", info)
	}
	// The mapping replaces the defaults.
	info, err = f.roundTrip(t, samltest.User{NameID: "u", Email: "default@example.com", Name: "Default"})
	if err != nil || info.Email != "" || info.Name != "" {
		t.Errorf("defaults still read: %+v, %v", info, err)
	}
}

func TestAuthnRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	a := newAuthorization()
	location, err := f.conn.AuthorizationURL(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if got := u.Scheme + "://" + u.Host + u.Path; got != f.idp.SSOURL() {
		t.Errorf("sent to %s, want the IdP's SSO service %s", got, f.idp.SSOURL())
	}
	if q.Get("RelayState") != a.RelayState {
		t.Errorf("RelayState %q, want %q", q.Get("RelayState"), a.RelayState)
	}
	if q.Has("Signature") || q.Has("SigAlg") {
		t.Errorf("the request is signed: %s", location)
	}
	deflated, err := base64.StdEncoding.DecodeString(q.Get("SAMLRequest"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(flate.NewReader(bytes.NewReader(deflated)))
	if err != nil {
		t.Fatal(err)
	}
	var req crewjam.AuthnRequest
	if err := xml.Unmarshal(doc, &req); err != nil {
		t.Fatalf("%v: %s", err, doc)
	}
	if req.ID != a.RequestID || req.Destination != f.idp.SSOURL() || req.AssertionConsumerServiceURL != acsURL ||
		req.ProtocolBinding != crewjam.HTTPPostBinding || req.Issuer == nil || req.Issuer.Value != metadataURL || req.Signature != nil {
		t.Errorf("AuthnRequest %s", doc)
	}
	if req.NameIDPolicy != nil && req.NameIDPolicy.Format != nil && *req.NameIDPolicy.Format == samltest.Transient {
		t.Errorf("asks for a transient NameID: %s", doc)
	}

	for _, id := range []string{"", "1abc", "id with space", "a:b"} {
		a := newAuthorization()
		a.RequestID = id
		if _, err := f.conn.AuthorizationURL(context.Background(), a); err == nil {
			t.Errorf("request ID %q accepted", id)
		}
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tests := []struct {
		name   string
		user   samltest.User
		opts   []samltest.Option
		reason string
	}{
		{"unsigned", samltest.User{NameID: "u"}, []samltest.Option{samltest.Unsigned()}, "signature"},
		{"another key", samltest.User{NameID: "u"}, []samltest.Option{samltest.SignedByAnotherKey()}, "certificate"},
		{"another key, assertion only", samltest.User{NameID: "u"}, []samltest.Option{samltest.SignedByAnotherKey(), samltest.SignAssertionOnly()}, "certificate"},
		{"another audience", samltest.User{NameID: "u"}, []samltest.Option{samltest.Audience("https://other.example.com/saml")}, "AudienceRestriction"},
		{"another recipient", samltest.User{NameID: "u"}, []samltest.Option{samltest.Recipient("https://other.example.com/acs")}, "Recipient"},
		{"another destination", samltest.User{NameID: "u"}, []samltest.Option{samltest.Destination("https://other.example.com/acs")}, "Destination"},
		{"issued long ago", samltest.User{NameID: "u"}, []samltest.Option{samltest.Shift(-10 * time.Minute)}, "expired"},
		{"issued in the future", samltest.User{NameID: "u"}, []samltest.Option{samltest.Shift(10 * time.Minute)}, "future"},
		{"answers another request", samltest.User{NameID: "u"}, []samltest.Option{samltest.InResponseTo("id-another")}, "InResponseTo"},
		{"unsolicited", samltest.User{NameID: "u"}, []samltest.Option{samltest.Unsolicited()}, "InResponseTo"},
		{"transient NameID", samltest.User{NameID: "u", NameIDFormat: samltest.Transient}, nil, "transient NameID cannot identify a returning user"},
		{"entity NameID", samltest.User{NameID: "u", NameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"}, nil, "cannot identify a returning user"},
		{"empty NameID", samltest.User{NameID: ""}, nil, "NameID"},
		{"blank NameID", samltest.User{NameID: "  "}, nil, "NameID is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.roundTrip(t, tt.user, tt.opts...)
			wantError(t, err, saml.CodeAuthorizationFailed, true, tt.reason)
		})
	}
}

// An answer to one request is not an answer to another.
func TestOtherRequestID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	a, response := f.signIn(t, samltest.User{NameID: "u"})
	other := newAuthorization()
	_, err := f.conn.Exchange(context.Background(), other, response)
	wantError(t, err, saml.CodeAuthorizationFailed, true, "InResponseTo")
	_, err = f.conn.Exchange(context.Background(), connectors.Authorization{}, response)
	wantError(t, err, saml.CodeAuthorizationFailed, true, "InResponseTo")
	if _, err := f.conn.Exchange(context.Background(), a, response); err != nil {
		t.Errorf("the right request: %v", err)
	}
}

// The time window, by our clock: crewjam accepts a response for
// MaxIssueDelay (90 s) after its IssueInstant, and up to MaxClockSkew
// (180 s) before it. The AuthnRequest is made at the real time (the IdP
// checks its IssueInstant too); only the exchange moves.
func TestTimeWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	tests := []struct {
		offset time.Duration
		reason string // "" for accepted
	}{
		{60 * time.Second, ""},
		{-170 * time.Second, ""},
		{2 * time.Minute, "expired"},
		{10 * time.Minute, "expired"},
		{-190 * time.Second, "future"},
		{-10 * time.Minute, "future"},
	}
	for _, tt := range tests {
		f.clock.reset()
		a, response := f.signIn(t, samltest.User{NameID: "u"})
		f.clock.set(tt.offset)
		_, err := f.conn.Exchange(context.Background(), a, response)
		switch {
		case tt.reason == "" && err != nil:
			t.Errorf("at %s: %v", tt.offset, err)
		case tt.reason != "":
			t.Run(tt.offset.String(), func(t *testing.T) { wantError(t, err, saml.CodeAuthorizationFailed, true, tt.reason) })
		}
	}
}

func TestMarkupDeclarations(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	a, response := f.signIn(t, samltest.User{NameID: "u"})

	laughs, err := samltest.BillionLaughs(response)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = f.conn.Exchange(context.Background(), a, laughs)
	wantError(t, err, connectors.CodeInvalidResponse, true, "DOCTYPE")
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusing a billion laughs took %s", d)
	}

	variants := map[string][2]string{
		"lower case":         {"<!doctype samlp:Response>\n", ""},
		"after a BOM":        {"\ufeff<!DOCTYPE samlp:Response>", ""},
		"after a comment":    {"<!-- hello -->\n<!DOCTYPE samlp:Response>", ""},
		"after a PI":         {"<?pi x?>  <!DocType samlp:Response>", ""},
		"an entity alone":    {"<!ENTITY x \"y\">", "&x;"},
		"an internal subset": {"<!DOCTYPE samlp:Response [<!ELEMENT x ANY>]>", ""},
	}
	for name, v := range variants {
		doc, err := samltest.WithDoctype(response, v[0], v[1])
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.conn.Exchange(context.Background(), a, doc)
		t.Run(name, func(t *testing.T) { wantError(t, err, connectors.CodeInvalidResponse, true, "DOCTYPE") })
	}
	// Also after the XML declaration, and with the declaration's bytes
	// spread by base64 line breaks.
	doc, _ := samltest.Decode(response)
	withDecl := samltest.Encode(append([]byte("<?xml version=\"1.0\"?>\n<!DOCTYPE r>"), doc...))
	_, err = f.conn.Exchange(context.Background(), a, wrap(withDecl))
	wantError(t, err, connectors.CodeInvalidResponse, true, "DOCTYPE")

	// Comments are not declarations: a signed response with one in front
	// still signs in (and so does base64 wrapped in lines).
	commented, err := samltest.WithDoctype(response, "<!-- a comment -->\n", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.conn.Exchange(context.Background(), a, wrap(commented)); err != nil {
		t.Errorf("a comment in front: %v", err)
	}
}

// wrap breaks base64 into 76-character lines, as some IdPs post it.
func wrap(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

// The DTD check comes before anything else: with the IdP's metadata
// unavailable, a DOCTYPE is still invalid_response and no fetch is made.
func TestMarkupDeclarationBeforeParsing(t *testing.T) {
	t.Parallel()
	idp := samltest.NewIdP(t)
	idp.SetMetadataDown(true)
	conn, err := saml.New(saml.Config{ACSURL: acsURL, MetadataURL: metadataURL, IDPMetadataURL: idp.MetadataURL()})
	if err != nil {
		t.Fatal(err)
	}
	laughs, err := samltest.BillionLaughs(samltest.Encode([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exchange(context.Background(), newAuthorization(), laughs)
	wantError(t, err, connectors.CodeInvalidResponse, true, "DOCTYPE")
	if n := idp.MetadataRequests(); n != 0 {
		t.Errorf("%d metadata requests before refusing the DTD", n)
	}
}

func TestNotBase64(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	for _, response := range []string{"", "   ", "not base64!", "PHNhbWxw*"} {
		_, err := f.conn.Exchange(context.Background(), newAuthorization(), response)
		wantError(t, err, connectors.CodeInvalidResponse, true, "base64")
	}
	// base64 of something that is not a SAML response is crewjam's to refuse.
	_, err := f.conn.Exchange(context.Background(), newAuthorization(), samltest.Encode([]byte("not xml")))
	wantError(t, err, saml.CodeAuthorizationFailed, true, "")
}

func TestMetadataURL(t *testing.T) {
	t.Parallel()
	idp := samltest.NewIdP(t)
	idp.SetMetadataDown(true) // down at start-up
	conn, err := saml.New(saml.Config{ACSURL: acsURL, MetadataURL: metadataURL, IDPMetadataURL: idp.MetadataURL()})
	if err != nil {
		t.Fatalf("New with the IdP down: %v", err)
	}
	md, _ := conn.Metadata(context.Background())
	idp.TrustSPMetadata(t, md)
	ctx := context.Background()

	_, err = conn.AuthorizationURL(ctx, newAuthorization())
	wantError(t, err, connectors.CodeGeneral, false, "503")
	_, err = conn.Exchange(ctx, newAuthorization(), samltest.Encode([]byte("<x/>")))
	wantError(t, err, connectors.CodeGeneral, false, "503")

	idp.SetMetadataDown(false)
	f := &fixture{idp: idp, conn: conn}
	for range 2 {
		if info, err := f.roundTrip(t, samltest.User{NameID: "u"}); err != nil || info.Issuer != idp.EntityID {
			t.Fatalf("%+v, %v", info, err)
		}
	}
	if n := idp.MetadataRequests(); n != 3 {
		t.Errorf("%d metadata requests, want 3 (two failures, then kept)", n)
	}
	// Kept even if the IdP's metadata goes down again.
	idp.SetMetadataDown(true)
	if _, err := conn.AuthorizationURL(ctx, newAuthorization()); err != nil {
		t.Errorf("metadata not kept: %v", err)
	}
}

func TestNoRedirectBinding(t *testing.T) {
	t.Parallel()
	idp := samltest.NewIdP(t)
	var ed crewjam.EntityDescriptor
	if err := xml.Unmarshal(idp.MetadataXML(), &ed); err != nil {
		t.Fatal(err)
	}
	var post []crewjam.Endpoint
	for _, ep := range ed.IDPSSODescriptors[0].SingleSignOnServices {
		if ep.Binding != crewjam.HTTPRedirectBinding {
			post = append(post, ep)
		}
	}
	ed.IDPSSODescriptors[0].SingleSignOnServices = post
	doc, err := xml.Marshal(ed)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := saml.New(saml.Config{ACSURL: acsURL, MetadataURL: metadataURL, IDPMetadataXML: doc})
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.AuthorizationURL(context.Background(), newAuthorization())
	wantError(t, err, connectors.CodeInvalidConfig, true, "HTTP-Redirect")
}

func TestNewConfigErrors(t *testing.T) {
	t.Parallel()
	idp := samltest.NewIdP(t)
	spMetadata, _ := mustNew(t, saml.Config{ACSURL: acsURL, MetadataURL: metadataURL, IDPMetadataXML: idp.MetadataXML()}).Metadata(context.Background())
	good := saml.Config{ACSURL: acsURL, MetadataURL: metadataURL, IDPMetadataXML: idp.MetadataXML()}
	tests := []struct {
		name   string
		edit   func(*saml.Config)
		reason string
	}{
		{"no ACSURL", func(c *saml.Config) { c.ACSURL = "" }, "ACSURL is required"},
		{"no MetadataURL", func(c *saml.Config) { c.MetadataURL = "" }, "MetadataURL is required"},
		{"relative ACSURL", func(c *saml.Config) { c.ACSURL = "/acs" }, "ACSURL"},
		{"ACSURL not http", func(c *saml.Config) { c.ACSURL = "ftp://example.com/acs" }, "ACSURL"},
		{"both metadata", func(c *saml.Config) { c.IDPMetadataURL = idp.MetadataURL() }, "not both"},
		{"no metadata", func(c *saml.Config) { c.IDPMetadataXML = nil }, "metadata is required"},
		{"unparsable metadata", func(c *saml.Config) { c.IDPMetadataXML = []byte("<EntityDescriptor") }, "IDPMetadataXML"},
		{"metadata with a DTD", func(c *saml.Config) {
			c.IDPMetadataXML = append([]byte("<!DOCTYPE x>"), idp.MetadataXML()...)
		}, "DOCTYPE"},
		{"SP metadata", func(c *saml.Config) { c.IDPMetadataXML = spMetadata }, "IDPSSODescriptor"},
		{"bad metadata URL", func(c *saml.Config) { c.IDPMetadataXML, c.IDPMetadataURL = nil, "metadata.xml" }, "IDPMetadataURL"},
	}
	for _, tt := range tests {
		cfg := good
		tt.edit(&cfg)
		c, err := saml.New(cfg)
		if c != nil {
			t.Errorf("%s: a connector", tt.name)
		}
		t.Run(tt.name, func(t *testing.T) { wantError(t, err, connectors.CodeInvalidConfig, true, tt.reason) })
	}
}

func mustNew(t *testing.T, cfg saml.Config) *saml.Connector {
	t.Helper()
	c, err := saml.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	idp := samltest.NewIdP(t)
	for _, entityID := range []string{"", "urn:authtrail:sp"} {
		c := mustNew(t, saml.Config{EntityID: entityID, ACSURL: acsURL, MetadataURL: metadataURL, IDPMetadataXML: idp.MetadataXML()})
		doc, err := c.Metadata(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var ed crewjam.EntityDescriptor
		if err := xml.Unmarshal(doc, &ed); err != nil {
			t.Fatalf("%v: %s", err, doc)
		}
		want := entityID
		if want == "" {
			want = metadataURL
		}
		if ed.EntityID != want || c.EntityID() != want {
			t.Errorf("entity id %q (EntityID() %q), want %q", ed.EntityID, c.EntityID(), want)
		}
		if len(ed.SPSSODescriptors) != 1 {
			t.Fatalf("%s", doc)
		}
		sp := ed.SPSSODescriptors[0]
		if len(sp.AssertionConsumerServices) != 1 || sp.AssertionConsumerServices[0].Location != acsURL ||
			sp.AssertionConsumerServices[0].Binding != crewjam.HTTPPostBinding {
			t.Errorf("ACS %+v", sp.AssertionConsumerServices)
		}
		if sp.AuthnRequestsSigned == nil || *sp.AuthnRequestsSigned || sp.WantAssertionsSigned == nil || !*sp.WantAssertionsSigned {
			t.Errorf("AuthnRequestsSigned %v WantAssertionsSigned %v, want false, true", sp.AuthnRequestsSigned, sp.WantAssertionsSigned)
		}
		if len(sp.KeyDescriptors) != 0 {
			t.Errorf("keys published: %s", doc)
		}
	}
}

// Concurrent sign-ins share the connector (and its clock) safely.
func TestConcurrentExchanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			a := newAuthorization()
			location, err := f.conn.AuthorizationURL(context.Background(), a)
			if err != nil {
				errs <- err
				return
			}
			nameID := fmt.Sprintf("user-%d", i)
			form, err := f.idp.Respond(location, samltest.User{NameID: nameID})
			if err != nil {
				errs <- err
				return
			}
			info, err := f.conn.Exchange(context.Background(), a, form.SAMLResponse)
			if err == nil && info.ID != nameID {
				err = fmt.Errorf("signed in %q, want %q", info.ID, nameID)
			}
			if err == nil && form.URL != acsURL {
				err = fmt.Errorf("posted to %q, want %q", form.URL, acsURL)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
