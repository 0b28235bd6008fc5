package samltest

import (
	"errors"
	"net/http"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
)

// Option changes the IdP's answer to one SignIn, mostly into an attack the
// SP must refuse. By default the Response and its Assertion are both
// signed with the IdP's key, and answer the AuthnRequest as it asked.
type Option func(*options)

type signing int

const (
	signBoth signing = iota
	signAssertionOnly
	signResponseOnly
	signNone
)

type options struct {
	signing                               signing
	anotherKey                            bool
	audience, recipient, destination, irt string
	shift                                 time.Duration
	withoutNameIDFormat, unsolicited      bool
}

// Unsigned sends no signature at all, on the Response or the Assertion.
func Unsigned() Option { return func(o *options) { o.signing = signNone } }

// SignAssertionOnly signs the Assertion, not the Response.
func SignAssertionOnly() Option { return func(o *options) { o.signing = signAssertionOnly } }

// SignResponseOnly signs the Response, not the Assertion in it.
func SignResponseOnly() Option { return func(o *options) { o.signing = signResponseOnly } }

// SignedByAnotherKey signs (what is signed) with a key and certificate
// that are not in the IdP's metadata, as an impostor would.
func SignedByAnotherKey() Option { return func(o *options) { o.anotherKey = true } }

// Audience asserts for entityID rather than the SP that asked.
func Audience(entityID string) Option { return func(o *options) { o.audience = entityID } }

// Recipient names acsURL as the bearer confirmation's Recipient, rather
// than the ACS the AuthnRequest named.
func Recipient(acsURL string) Option { return func(o *options) { o.recipient = acsURL } }

// Destination sends the Response to acsURL (its Destination and the form's
// action) rather than to the ACS the AuthnRequest named.
func Destination(acsURL string) Option { return func(o *options) { o.destination = acsURL } }

// Shift moves every instant of the answer by d: its issue instants and
// time windows. A negative d is a response issued long ago (expired), a
// positive one a response not yet valid. The SP allows crewjam's
// MaxIssueDelay (90 s) after issue and MaxClockSkew (180 s) either side of
// the windows, so shift by more than that.
func Shift(d time.Duration) Option { return func(o *options) { o.shift = d } }

// InResponseTo answers requestID rather than the AuthnRequest received,
// in the Response and in the bearer confirmation.
func InResponseTo(requestID string) Option { return func(o *options) { o.irt = requestID } }

// Unsolicited answers no request: no InResponseTo in the Response nor in
// the bearer confirmation, as in an IdP-initiated sign-in.
func Unsolicited() Option { return func(o *options) { o.unsolicited = true } }

// WithoutNameIDFormat leaves the Format out of the NameID (which then
// means unspecified).
func WithoutNameIDFormat() Option { return func(o *options) { o.withoutNameIDFormat = true } }

// apply changes the assertion crewjam made for req, before it is signed.
func (o options) apply(req *saml.IdpAuthnRequest) {
	a := req.Assertion
	if o.shift != 0 {
		req.Now = req.Now.Add(o.shift) // the Response's IssueInstant
		a.IssueInstant = a.IssueInstant.Add(o.shift)
		a.Conditions.NotBefore = a.Conditions.NotBefore.Add(o.shift)
		a.Conditions.NotOnOrAfter = a.Conditions.NotOnOrAfter.Add(o.shift)
		for i := range a.AuthnStatements {
			a.AuthnStatements[i].AuthnInstant = a.AuthnStatements[i].AuthnInstant.Add(o.shift)
		}
	}
	for _, c := range a.Subject.SubjectConfirmations {
		data := c.SubjectConfirmationData
		if data == nil {
			continue
		}
		if o.shift != 0 {
			data.NotOnOrAfter = data.NotOnOrAfter.Add(o.shift)
			if !data.NotBefore.IsZero() {
				data.NotBefore = data.NotBefore.Add(o.shift)
			}
		}
		if o.recipient != "" {
			data.Recipient = o.recipient
		}
		if irt, ok := o.inResponseTo(); ok {
			data.InResponseTo = irt
		}
	}
	if o.audience != "" {
		a.Conditions.AudienceRestrictions = []saml.AudienceRestriction{{Audience: saml.Audience{Value: o.audience}}}
	}
	if o.destination != "" {
		ep := *req.ACSEndpoint
		ep.Location = o.destination
		req.ACSEndpoint = &ep
	}
	if irt, ok := o.inResponseTo(); ok {
		req.Request.ID = irt // the Response's InResponseTo
	}
	if o.withoutNameIDFormat && a.Subject.NameID != nil {
		a.Subject.NameID.Format = ""
		a.Subject.NameID.NameQualifier, a.Subject.NameID.SPNameQualifier = "", ""
	}
}

// inResponseTo is the request the answer names, if not the one received.
func (o options) inResponseTo() (string, bool) {
	if o.unsolicited {
		return "", true
	}
	return o.irt, o.irt != ""
}

// responder is the IdP's ResponseWriter: crewjam's form, with the Response
// changed and signed as the pending SignIn's options say.
type responder struct{ p *IdP }

func (r responder) WriteResponse(w http.ResponseWriter, req *saml.IdpAuthnRequest) error {
	pending := r.p.pendingSignIn(req.HTTPRequest)
	if pending == nil {
		return errors.New("no pending sign-in")
	}
	o := pending.opts
	o.apply(req)
	if o.anotherKey {
		impostor, err := r.p.impostor()
		if err != nil {
			return err
		}
		req.IDP = impostor
	}
	switch o.signing {
	case signResponseOnly:
		// MakeResponse signs the Response around the assertion as it is.
		req.AssertionEl = req.Assertion.Element()
	case signAssertionOnly:
		if err := req.MakeAssertionEl(); err != nil {
			return err
		}
		req.ResponseEl = unsignedResponse(req, req.AssertionEl)
	case signNone:
		req.ResponseEl = unsignedResponse(req, req.Assertion.Element())
	}
	return req.WriteResponse(w) // MakeResponse (both signed) unless ResponseEl is set
}

// unsignedResponse is crewjam's MakeResponse without the signature.
func unsignedResponse(req *saml.IdpAuthnRequest, assertionEl *etree.Element) *etree.Element {
	resp := saml.Response{
		Destination:  req.ACSEndpoint.Location,
		ID:           newID(),
		InResponseTo: req.Request.ID,
		IssueInstant: req.Now,
		Version:      "2.0",
		Issuer:       &saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: req.IDP.MetadataURL.String()},
		Status:       saml.Status{StatusCode: saml.StatusCode{Value: saml.StatusSuccess}},
	}
	el := resp.Element()
	el.AddChild(assertionEl)
	return el
}
