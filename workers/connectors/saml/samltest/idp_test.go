package samltest_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/crewjam/saml"

	"github.com/authtrail/authtrail/workers/connectors/saml/samltest"
)

const acsURL = "https://sp.example.com/acs"

// authnRequestURL is an AuthnRequest to idp from a crewjam SP, entityID.
func authnRequestURL(t *testing.T, idp *samltest.IdP, entityID string) string {
	t.Helper()
	var md saml.EntityDescriptor
	if err := xml.Unmarshal(idp.MetadataXML(), &md); err != nil {
		t.Fatal(err)
	}
	acs, _ := url.Parse(acsURL)
	sp := saml.ServiceProvider{EntityID: entityID, AcsURL: *acs, IDPMetadata: &md}
	u, err := sp.MakeRedirectAuthenticationRequest("relay")
	if err != nil {
		t.Fatal(err)
	}
	return u.String()
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	idp := samltest.NewIdP(t)
	idp.TrustSP("urn:sp", acsURL)
	form := idp.SignInForm(t, authnRequestURL(t, idp, "urn:sp"), samltest.User{NameID: "u1", Email: "u1@example.com"})
	if form.URL != acsURL || form.RelayState != "relay" {
		t.Errorf("form %+v", form)
	}
	doc, err := samltest.Decode(form.SAMLResponse)
	if err != nil {
		t.Fatal(err)
	}
	var resp saml.Response
	if err := xml.Unmarshal(doc, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Issuer == nil || resp.Issuer.Value != idp.EntityID || resp.Destination != acsURL || resp.Signature == nil {
		t.Errorf("response %s", doc)
	}
	if a := resp.Assertion; a == nil || a.Subject.NameID.Value != "u1" || a.Subject.NameID.Format != samltest.Persistent ||
		a.Conditions.AudienceRestrictions[0].Audience.Value != "urn:sp" || a.Signature == nil {
		t.Errorf("assertion %s", doc)
	}

	// Destination also moves the form.
	form = idp.SignInForm(t, authnRequestURL(t, idp, "urn:sp"), samltest.User{NameID: "u1"}, samltest.Destination("https://evil.example.com/acs"))
	if form.URL != "https://evil.example.com/acs" {
		t.Errorf("form posts to %s", form.URL)
	}
	// Unsigned means no signature anywhere.
	form = idp.SignInForm(t, authnRequestURL(t, idp, "urn:sp"), samltest.User{NameID: "u1"}, samltest.Unsigned())
	if doc, _ := samltest.Decode(form.SAMLResponse); bytes.Contains(doc, []byte("Signature")) {
		t.Errorf("unsigned response %s", doc)
	}
}

func TestRefusedRequests(t *testing.T) {
	t.Parallel()
	idp := samltest.NewIdP(t)
	if _, err := idp.Respond(authnRequestURL(t, idp, "urn:unknown"), samltest.User{NameID: "u"}); err == nil || !strings.Contains(err.Error(), "unknown service provider") {
		t.Errorf("unknown SP: %v", err)
	}
	if _, err := idp.Respond("https://elsewhere.example.com/sso?SAMLRequest=x", samltest.User{NameID: "u"}); err == nil {
		t.Error("a request to another IdP was followed")
	}
	// A browser, without SignIn, gets no session.
	idp.TrustSP("urn:sp", acsURL)
	resp, err := http.Get(authnRequestURL(t, idp, "urn:sp"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("browser sign-in: %s", resp.Status)
	}
}

func TestMetadataEndpoint(t *testing.T) {
	t.Parallel()
	idp := samltest.NewIdP(t)
	get := func() (int, []byte) {
		resp, err := http.Get(idp.MetadataURL())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	status, body := get()
	var md saml.EntityDescriptor
	if err := xml.Unmarshal(body, &md); status != http.StatusOK || err != nil || md.EntityID != idp.EntityID {
		t.Fatalf("%d %v %s", status, err, body)
	}
	var redirect bool
	for _, ep := range md.IDPSSODescriptors[0].SingleSignOnServices {
		redirect = redirect || ep.Binding == saml.HTTPRedirectBinding && ep.Location == idp.SSOURL()
	}
	if !redirect {
		t.Errorf("no HTTP-Redirect SSO service: %s", body)
	}
	idp.SetMetadataDown(true)
	if status, _ := get(); status != http.StatusServiceUnavailable {
		t.Errorf("down: %d", status)
	}
	if n := idp.MetadataRequests(); n != 2 {
		t.Errorf("%d requests counted", n)
	}
}

func TestBillionLaughs(t *testing.T) {
	t.Parallel()
	laughs, err := samltest.BillionLaughs(samltest.Encode([]byte(`<?xml version="1.0"?><r a="1"><c/></r>`)))
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := samltest.Decode(laughs)
	if !bytes.HasPrefix(doc, []byte("<?xml version=\"1.0\"?>\n<!DOCTYPE samlp:Response [")) ||
		!bytes.HasSuffix(doc, []byte("]>\n<r a=\"1\">&lol9;<c/></r>")) {
		t.Errorf("%s", doc)
	}
}
