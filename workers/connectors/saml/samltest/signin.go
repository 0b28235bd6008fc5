package samltest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"golang.org/x/net/html"
)

// User is who signs in at the IdP.
type User struct {
	// NameID is the assertion's subject; NameIDFormat its format
	// (Persistent when empty; see the WithoutNameIDFormat option).
	NameID, NameIDFormat string
	// Email and Name are sent as the "email" and "name" attributes when
	// not empty.
	Email, Name string
	// Attributes are sent as more attributes, one value each, by Name.
	Attributes map[string]string
	// RawAttributes are sent as they are (with a FriendlyName, several
	// values...).
	RawAttributes []saml.Attribute
}

// attributes is what the assertion's AttributeStatement carries for u.
func (u User) attributes() []saml.Attribute {
	var attrs []saml.Attribute
	add := func(name, value string) {
		attrs = append(attrs, saml.Attribute{Name: name, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
			Values: []saml.AttributeValue{{Type: "xs:string", Value: value}}})
	}
	if u.Email != "" {
		add("email", u.Email)
	}
	if u.Name != "" {
		add("name", u.Name)
	}
	names := make([]string, 0, len(u.Attributes))
	for name := range u.Attributes {
		names = append(names, name)
	}
	slices.Sort(names) // a stable document
	for _, name := range names {
		add(name, u.Attributes[name])
	}
	return append(attrs, u.RawAttributes...)
}

// Form is what the IdP's auto-submitting form POSTs: to URL (the SP's
// assertion consumer service), the SAMLResponse (base64 of the Response
// XML) and the RelayState form values.
type Form struct {
	URL, SAMLResponse, RelayState string
}

// SignIn plays the browser: it follows authorizationURL (an AuthnRequest
// with the HTTP-Redirect binding) to the IdP, signs u in, and returns the
// SAMLResponse and RelayState the IdP's form would POST to the ACS. Any
// failure fails t, so call it from the test's goroutine (or use Respond).
func (p *IdP) SignIn(t testing.TB, authorizationURL string, u User, opts ...Option) (samlResponse, relayState string) {
	t.Helper()
	f := p.SignInForm(t, authorizationURL, u, opts...)
	return f.SAMLResponse, f.RelayState
}

// SignInForm is SignIn returning the whole form, with the URL it posts to.
func (p *IdP) SignInForm(t testing.TB, authorizationURL string, u User, opts ...Option) Form {
	t.Helper()
	f, err := p.Respond(authorizationURL, u, opts...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return f
}

// ticketHeader carries, from SignIn to the IdP's SSO handler, which
// pending sign-in the request is: the user and the options.
const ticketHeader = "X-Samltest-Sign-In"

// signIn is one pending SignIn.
type signIn struct {
	user User
	opts options
}

// Respond is SignIn returning an error rather than failing a test: the
// IdP refusing the AuthnRequest (unknown SP, unknown ACS URL, expired
// request...) is an error naming the IdP's reason.
func (p *IdP) Respond(authorizationURL string, u User, opts ...Option) (Form, error) {
	if !strings.HasPrefix(authorizationURL, p.SSOURL()+"?") {
		return Form{}, fmt.Errorf("samltest: %q is not a request to this IdP's SSO service %s", authorizationURL, p.SSOURL())
	}
	s := &signIn{user: u}
	for _, opt := range opts {
		opt(&s.opts)
	}
	ticket := newID()
	p.mu.Lock()
	p.pending[ticket] = s
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.pending, ticket)
		p.mu.Unlock()
	}()

	req, err := http.NewRequest(http.MethodGet, authorizationURL, nil)
	if err != nil {
		return Form{}, fmt.Errorf("samltest: %w", err)
	}
	req.Header.Set(ticketHeader, ticket)
	client := &http.Client{Transport: p.server.Client().Transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return Form{}, fmt.Errorf("samltest: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 10<<20))
	if err != nil {
		return Form{}, fmt.Errorf("samltest: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Form{}, fmt.Errorf("samltest: the IdP refused the sign-in: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return parseForm(string(body))
}

// parseForm reads the IdP's auto-submitting HTML form.
func parseForm(page string) (Form, error) {
	var f Form
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			if !errors.Is(z.Err(), io.EOF) {
				return Form{}, fmt.Errorf("samltest: the IdP's page: %w", z.Err())
			}
			if f.URL == "" || f.SAMLResponse == "" {
				return Form{}, fmt.Errorf("samltest: the IdP's page has no SAMLResponse form: %s", page)
			}
			return f, nil
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				attrs[a.Key] = a.Val
			}
			switch {
			case tok.Data == "form":
				f.URL = attrs["action"]
			case tok.Data == "input" && attrs["name"] == "SAMLResponse":
				f.SAMLResponse = attrs["value"]
			case tok.Data == "input" && attrs["name"] == "RelayState":
				f.RelayState = attrs["value"]
			}
		}
	}
}

// sessions is the IdP's SessionProvider: the user of the pending SignIn
// the request names. A request without one (a real browser) is refused.
type sessions struct{ p *IdP }

func (s sessions) GetSession(w http.ResponseWriter, r *http.Request, _ *saml.IdpAuthnRequest) *saml.Session {
	pending := s.p.pendingSignIn(r)
	if pending == nil {
		http.Error(w, "samltest: no pending sign-in: sign in with IdP.SignIn", http.StatusUnauthorized)
		return nil
	}
	u := pending.user
	format := u.NameIDFormat
	if format == "" {
		format = Persistent
	}
	now := time.Now()
	return &saml.Session{ID: newID(), CreateTime: now, ExpireTime: now.Add(time.Hour), Index: newID(),
		NameID: u.NameID, NameIDFormat: format, CustomAttributes: u.attributes()}
}

func (p *IdP) pendingSignIn(r *http.Request) *signIn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pending[r.Header.Get(ticketHeader)]
}
