// Package samltest is a real SAML 2.0 identity provider on loopback for
// tests, in the style of net/http/httptest: crewjam/saml's
// IdentityProvider behind an httptest.Server, signing with an RSA key and
// self-signed certificate of its own.
//
// A test starts one with NewIdP, trusts its service provider with TrustSP
// or TrustSPMetadata, sends the browser's AuthnRequest URL (HTTP-Redirect
// binding) to SignIn, and gets back what the IdP's auto-submitting form
// would POST to the assertion consumer service (HTTP-POST binding):
//
//	idp := samltest.NewIdP(t)
//	idp.TrustSP(entityID, acsURL)
//	samlResponse, relayState := idp.SignIn(t, authorizationURL, samltest.User{NameID: "u1", Email: "u1@example.com"})
//
// There is no login form: SignIn names the user. The IdP still validates
// the AuthnRequest (known SP, its ACS URL, issue instant) and answers it
// (its ID as InResponseTo, the SP's entity id as audience). Options turn
// the answer into an attack: Unsigned, SignedByAnotherKey, Audience,
// Recipient, Destination, Shift, InResponseTo...; BillionLaughs wraps a
// response in an entity-expansion DTD.
package samltest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/xml"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/crewjam/saml"
)

// The NameID formats, for User.NameIDFormat.
const (
	Persistent   = string(saml.PersistentNameIDFormat)
	Transient    = string(saml.TransientNameIDFormat)
	EmailAddress = string(saml.EmailAddressNameIDFormat)
	Unspecified  = string(saml.UnspecifiedNameIDFormat)
)

// Paths of the IdP's endpoints under URL.
const (
	MetadataPath = "/metadata"
	SSOPath      = "/sso"
)

// IdP is an identity provider serving its metadata and its SSO service
// (HTTP-Redirect and HTTP-POST bindings) on loopback.
type IdP struct {
	// URL is the server's base URL, http://127.0.0.1:port.
	URL string
	// EntityID is the IdP's entity id (its metadata URL): the Issuer of
	// its responses and assertions.
	EntityID string
	// Certificate signs the IdP's responses; it is in its metadata.
	Certificate *x509.Certificate

	server   *httptest.Server
	idp      *saml.IdentityProvider
	impostor func() (*saml.IdentityProvider, error)

	metadataDown     atomic.Bool
	metadataRequests atomic.Int64

	mu      sync.Mutex
	sps     map[string]*saml.EntityDescriptor // by entity id
	pending map[string]*signIn                // by ticket
}

// NewIdP starts an IdP; t.Cleanup closes it.
func NewIdP(t testing.TB) *IdP {
	t.Helper()
	key, cert, err := newKeyPair("samltest IdP")
	if err != nil {
		t.Fatalf("samltest: %v", err)
	}
	server := httptest.NewUnstartedServer(nil)
	base := "http://" + server.Listener.Addr().String()
	p := &IdP{URL: base, EntityID: base + MetadataPath, Certificate: cert, server: server,
		sps: map[string]*saml.EntityDescriptor{}, pending: map[string]*signIn{}}
	p.idp = p.identityProvider(key, cert)
	// Another IdP at the same URLs with a key not in the metadata, made
	// only if a test asks for it (a key takes a while to draw).
	p.impostor = sync.OnceValues(func() (*saml.IdentityProvider, error) {
		key, cert, err := newKeyPair("samltest impostor")
		if err != nil {
			return nil, err
		}
		return p.identityProvider(key, cert), nil
	})
	mux := http.NewServeMux()
	mux.HandleFunc(MetadataPath, p.serveMetadata)
	mux.HandleFunc(SSOPath, p.idp.ServeSSO)
	server.Config.Handler = mux
	server.Start()
	t.Cleanup(server.Close)
	return p
}

func (p *IdP) identityProvider(key *rsa.PrivateKey, cert *x509.Certificate) *saml.IdentityProvider {
	metadataURL, _ := url.Parse(p.EntityID)
	ssoURL, _ := url.Parse(p.URL + SSOPath)
	return &saml.IdentityProvider{
		Key:                     key,
		Certificate:             cert,
		Logger:                  log.New(io.Discard, "", 0),
		MetadataURL:             *metadataURL,
		SSOURL:                  *ssoURL,
		ServiceProviderProvider: serviceProviders{p},
		SessionProvider:         sessions{p},
		ResponseWriter:          responder{p},
		NameIDFormats:           []saml.NameIDFormat{saml.PersistentNameIDFormat, saml.EmailAddressNameIDFormat, saml.UnspecifiedNameIDFormat, saml.TransientNameIDFormat},
		// The reason in the body, so that SignIn can say why the IdP
		// refused a request.
		OnError: func(w http.ResponseWriter, _ *http.Request, status int, err error) {
			http.Error(w, "samltest: "+err.Error(), status)
		},
	}
}

// MetadataURL is where the IdP serves its metadata.
func (p *IdP) MetadataURL() string { return p.EntityID }

// SSOURL is the IdP's SSO service, for both bindings.
func (p *IdP) SSOURL() string { return p.URL + SSOPath }

// MetadataXML is the IdP's metadata: its entity id, its signing
// certificate, and its SSO service with the HTTP-Redirect and HTTP-POST
// bindings.
func (p *IdP) MetadataXML() []byte {
	body, err := xml.MarshalIndent(p.idp.Metadata(), "", "  ")
	if err != nil {
		panic("samltest: metadata: " + err.Error())
	}
	return append([]byte(xml.Header), body...)
}

// SetMetadataDown makes the metadata URL answer 503 (down) or serve the
// metadata again, to test an IdP that is unavailable at start-up.
func (p *IdP) SetMetadataDown(down bool) { p.metadataDown.Store(down) }

// MetadataRequests counts the requests to the metadata URL, answered or not.
func (p *IdP) MetadataRequests() int { return int(p.metadataRequests.Load()) }

func (p *IdP) serveMetadata(w http.ResponseWriter, r *http.Request) {
	p.metadataRequests.Add(1)
	if p.metadataDown.Load() {
		http.Error(w, "samltest: metadata down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, _ = w.Write(p.MetadataXML())
}

// TrustSP registers a service provider: AuthnRequests issued by entityID
// are answered at acsURL (HTTP-POST binding).
func (p *IdP) TrustSP(entityID, acsURL string) {
	p.trust(&saml.EntityDescriptor{EntityID: entityID, SPSSODescriptors: []saml.SPSSODescriptor{{
		AssertionConsumerServices: []saml.IndexedEndpoint{{Binding: saml.HTTPPostBinding, Location: acsURL, Index: 1}},
	}}})
}

// TrustSPMetadata registers a service provider by its metadata document
// (an EntityDescriptor), such as the connector's Metadata.
func (p *IdP) TrustSPMetadata(t testing.TB, metadata []byte) {
	t.Helper()
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(metadata, &ed); err != nil {
		t.Fatalf("samltest: SP metadata: %v", err)
	}
	if ed.EntityID == "" || len(ed.SPSSODescriptors) == 0 {
		t.Fatalf("samltest: SP metadata: no entity id or no SPSSODescriptor")
	}
	p.trust(&ed)
}

func (p *IdP) trust(ed *saml.EntityDescriptor) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sps[ed.EntityID] = ed
}

// serviceProviders is the IdP's ServiceProviderProvider: the trusted SPs.
type serviceProviders struct{ p *IdP }

func (s serviceProviders) GetServiceProvider(_ *http.Request, entityID string) (*saml.EntityDescriptor, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if ed, ok := s.p.sps[entityID]; ok {
		return ed, nil
	}
	return nil, os.ErrNotExist
}
