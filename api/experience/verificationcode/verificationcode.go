// Package verificationcode is the verification-code method of the
// Experience API: codes sent by email or SMS through the delivery worker,
// which identify a user, stage an email or phone, or prove the email or
// phone MFA factor (/verification/verification-code and
// /verification/mfa-verification-code, each with /verify), and the binding
// of the email and phone MFA factors.
package verificationcode

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/ratelimit"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/codekeys"
)

// Deps are the method's collaborators.
type Deps struct {
	// Codes hashes codes for their records; Keys keeps the per-send data
	// keys that seal them for the delivery worker.
	Codes *code.Hasher
	Keys  *codekeys.Store
	// EmailConnector and SMSConnector say which message connectors exist;
	// a send without one answers 501 connector.not_found.
	EmailConnector, SMSConnector bool
}

// Method is the verification-code method.
type Method struct {
	d Deps
	h *experience.Handler
}

var _ experience.Binder = (*Method)(nil)

// New returns the method.
func New(d Deps) *Method { return &Method{d: d} }

// Events decodes the method's events.
func (m *Method) Events() domain.Registry { return Events }

// Mount adds the code routes.
func (m *Method) Mount(h *experience.Handler, r *mux.Router) {
	m.h = h
	experience.Route(r, h, http.MethodPost, "/verification/verification-code", m.parseSend, m.send)
	experience.VerifyRoute(r, h, http.MethodPost, "/verification/verification-code/verify", parseVerify, m.verify)
	experience.Route(r, h, http.MethodPost, "/verification/mfa-verification-code", m.parseMFASend, m.sendMFA)
	experience.VerifyRoute(r, h, http.MethodPost, "/verification/mfa-verification-code/verify", parseMFAVerify, m.verifyMFA)
}

var (
	interactionEvents = []string{settings.EventSignIn, settings.EventRegister, settings.EventForgotPassword}
)

type body struct {
	Identifier       *interaction.Identifier `json:"identifier"`
	InteractionEvent string                  `json:"interactionEvent"`
	VerificationID   string                  `json:"verificationId"`
	Code             *string                 `json:"code"`
}

// decode guards the code routes' bodies (docs/experience.md, Verification codes).
func decode(r *http.Request, verify bool) (body, error) {
	var b body
	if err := httpx.Decode(r, &b); err != nil {
		return b, err
	}
	id := b.Identifier
	switch {
	case id == nil:
		return b, httpx.Invalid("body", `"identifier" is required`)
	case !id.WellFormed(), id.Type == settings.IdentifierEmail && len(id.Value) > 256:
		return b, httpx.Invalid("body", `"identifier.value" is invalid`)
	case id.Type != settings.IdentifierEmail && id.Type != settings.IdentifierPhone:
		return b, httpx.Invalid("body", `"identifier.type" must be email or phone`)
	case !verify && !slices.Contains(interactionEvents, b.InteractionEvent):
		return b, httpx.Invalid("body", `"interactionEvent" must be SignIn, Register or ForgotPassword`)
	case verify && (b.VerificationID == "" || b.Code == nil):
		return b, httpx.Invalid("body", `"verificationId" and "code" are required`)
	}
	return b, nil
}

// sending is a send route's request: its body, the id of the record it
// creates, and the code drawn for it, shared by the attempts of the step
// (hence a pointer).
type sending struct {
	body
	verificationID string
	pending        *codekeys.Pending
	newRecipient   experience.Spend
}

func (m *Method) parseSend(r *http.Request) (*sending, error) {
	b, err := decode(r, false)
	return &sending{body: b, verificationID: m.h.NewID()}, err
}

func parseVerify(r *http.Request) (body, error) { return decode(r, true) }

// send serves POST /verification/verification-code. The code
// is not sent here: the event asks the delivery worker to send it.
func (m *Method) send(ctx context.Context, s *experience.Step, in *sending) (experience.Reply, error) {
	h := m.h
	kind, key := h.Users().Identifier(in.Identifier.Type, in.Identifier.Value)
	owner, err := accounts.Owner(ctx, s.Tx, kind, key)
	if err != nil {
		return experience.Reply{}, err
	}
	identifier := *in.Identifier
	req := Request{Identifier: identifier, Event: in.InteractionEvent, UserExists: owner != ""}
	if identifier.Type == settings.IdentifierEmail {
		req.EmailViolation = h.EmailViolation(identifier.Value)
	}
	plan, err := PlanCode(s.State, h.Settings(), req)
	if err != nil {
		return experience.Reply{}, err
	}
	if err := m.issue(ctx, s, issue{
		verificationID: in.verificationID, identifier: identifier, recordType: RecordTypeFor(identifier.Type),
		template: plan.Template, suppressed: plan.Suppressed, recipientKey: kind + ":" + key,
		newRecipient: &in.newRecipient,
	}, &in.pending); err != nil {
		return experience.Reply{}, err
	}
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.verificationID}}, nil
}

// issue is one code to create and (unless suppressed) deliver.
type issue struct {
	verificationID string
	identifier     interaction.Identifier
	recordType     string
	template       string
	suppressed     bool
	recipientKey   string // kind:normalised value, for the send cap
	// newRecipient spends the client's new-recipient limit (nil: a send to
	// the identified user's own address, which the limit does not cover).
	newRecipient *experience.Spend
}

// issue applies the send cap and the connector check, then appends the code
// record, the counted send and the delivery request (docs/experience.md, Verification codes).
// pending keeps the drawn code across re-decisions of the step.
func (m *Method) issue(ctx context.Context, s *experience.Step, c issue, pending **codekeys.Pending) error {
	h := m.h
	limitSubject := eventstore.MustSubject(ratelimit.AggregateType, ratelimit.ID(c.recipientKey))
	limits, _, err := eventstore.LoadState(ctx, s.Tx, limitFold, limitSubject)
	if err != nil {
		return err
	}
	// The send's id is drawn first (once per request, like the code): the
	// count carries it.
	p, err := codekeys.Draw(pending, h.Random(), h.NewID)
	if err != nil {
		return err
	}
	now := h.Clock().Now()
	counted, err := ratelimit.Decide(limits, now, p.SendID)
	if err != nil {
		return err
	}
	if !m.hasConnector(c.identifier.Type) {
		return domain.E("connector.not_found")
	}
	if c.newRecipient != nil {
		// Suppressed sends spend too, so the limit tells nothing of who
		// has an account.
		if err := h.SpendNewRecipient(ctx, s, c.newRecipient, c.recipientKey); err != nil {
			return err
		}
	}
	requested := &Requested{
		VerificationID: c.verificationID, RecordType: c.recordType, Identifier: c.identifier, Template: c.template,
		SendID: p.SendID, Digest: m.d.Codes.Hash(c.verificationID, p.Plain),
		ExpiresAt:  now.Add(time.Duration(h.Settings().VerificationCodePolicy.ExpirationDuration) * time.Second),
		Suppressed: c.suppressed,
	}
	if !c.suppressed {
		if err := m.d.Keys.Seal(ctx, p, h.Random()); err != nil {
			return err
		}
		requested.SealedCode = p.Sealed
	}
	// Three single-subject appends, no atomic batch (docs/architecture.md,
	// Claims): the count, then the delivery request, then the code record.
	// The worker waits for a record that follows its request; a request
	// whose record never commits is abandoned, and no code is sent.
	s.Tx.Claim(limitSubject, counted...)
	if !c.suppressed {
		s.Tx.ClaimWithID(eventstore.MustSubject(code.DeliveryAggregateType, p.SendID), code.DeliveryRequestID(p.SendID),
			&code.DeliveryRequested{InteractionID: s.ID, SendID: p.SendID})
	}
	s.Append(requested)
	return nil
}

// limitFold folds a recipient's send cap (its last sends only).
var limitFold = eventstore.Fold[ratelimit.State]{AggregateType: ratelimit.AggregateType, Shape: 1,
	Events: ratelimit.Events, Apply: (*ratelimit.State).Apply}

func (m *Method) hasConnector(identifierType string) bool {
	if identifierType == settings.IdentifierPhone {
		return m.d.SMSConnector
	}
	return m.d.EmailConnector
}

// verify serves POST /verification/verification-code/verify.
func (m *Method) verify(ctx context.Context, s *experience.Step, b body) (experience.Reply, error) {
	id := *b.Identifier
	return m.check(ctx, s, "", id, b.VerificationID, *b.Code)
}

// check verifies a code of a record of recordType ("": by the identifier's
// type) against the identifier's sentinel.
func (m *Method) check(ctx context.Context, s *experience.Step, recordType string, id interaction.Identifier, verificationID, submitted string) (experience.Reply, error) {
	h := m.h
	kind, key := h.Users().Identifier(id.Type, id.Value)
	guard, err := h.IdentifierGuard(ctx, s, kind, key)
	if err != nil {
		return experience.Reply{}, err
	}
	out := VerifyCode(s.State, Attempt{
		RecordType: recordType, VerificationID: verificationID, Identifier: id, Code: submitted,
		Matches:        func(d code.Digest) bool { return m.d.Codes.Matches(d, verificationID, submitted) },
		Policy:         h.Settings().VerificationCodePolicy,
		Sentinel:       guard.State,
		SentinelPolicy: h.SentinelPolicy(),
		Now:            h.Clock().Now(),
	})
	if err := s.Settle(guard, "", out); err != nil {
		return experience.Reply{}, err
	}
	h.RecipientVerified(ctx, s, kind+":"+key)
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": verificationID}}, nil
}

type mfaBody struct {
	IdentifierType string  `json:"identifierType"`
	VerificationID string  `json:"verificationId"`
	Code           *string `json:"code"`
}

func decodeMFA(r *http.Request, verify bool) (mfaBody, error) {
	var b mfaBody
	if err := httpx.Decode(r, &b); err != nil {
		return b, err
	}
	if b.IdentifierType != settings.IdentifierEmail && b.IdentifierType != settings.IdentifierPhone {
		return b, httpx.Invalid("body", `"identifierType" must be email or phone`)
	}
	if verify && (b.VerificationID == "" || b.Code == nil) {
		return b, httpx.Invalid("body", `"verificationId" and "code" are required`)
	}
	return b, nil
}

// mfaSending is the MFA code send's request, with the id of the record it
// creates and the code drawn for it, shared by the attempts of the step.
type mfaSending struct {
	mfaBody
	verificationID string
	pending        *codekeys.Pending
}

func (m *Method) parseMFASend(r *http.Request) (*mfaSending, error) {
	b, err := decodeMFA(r, false)
	return &mfaSending{mfaBody: b, verificationID: m.h.NewID()}, err
}

func parseMFAVerify(r *http.Request) (mfaBody, error) { return decodeMFA(r, true) }

// mfaIdentifier is the identified user's own address for an MFA code.
func (m *Method) mfaIdentifier(ctx context.Context, s *experience.Step, identifierType string) (interaction.Identifier, string, error) {
	u, err := m.h.IdentifiedUser(ctx, s)
	if err != nil {
		return interaction.Identifier{}, "", err
	}
	if u == nil {
		return interaction.Identifier{}, "", domain.E("session.identifier_not_found@mfa_code")
	}
	value, recordType := u.PrimaryEmail, RecordMFAEmail
	if identifierType == settings.IdentifierPhone {
		value, recordType = u.PrimaryPhone, RecordMFAPhone
	}
	if value == "" {
		return interaction.Identifier{}, "", domain.E("session.mfa.mfa_factor_not_enabled")
	}
	return interaction.Identifier{Type: identifierType, Value: value}, recordType, nil
}

// sendMFA serves POST /verification/mfa-verification-code: a
// code to the identified user's own email or phone.
func (m *Method) sendMFA(ctx context.Context, s *experience.Step, in *mfaSending) (experience.Reply, error) {
	id, recordType, err := m.mfaIdentifier(ctx, s, in.IdentifierType)
	if err != nil {
		return experience.Reply{}, err
	}
	kind, key := m.h.Users().Identifier(id.Type, id.Value)
	if err := m.issue(ctx, s, issue{verificationID: in.verificationID, identifier: id, recordType: recordType,
		template: TemplateMfaVerification, recipientKey: kind + ":" + key}, &in.pending); err != nil {
		return experience.Reply{}, err
	}
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.verificationID}}, nil
}

// verifyMFA serves POST /verification/mfa-verification-code/verify.
func (m *Method) verifyMFA(ctx context.Context, s *experience.Step, b mfaBody) (experience.Reply, error) {
	id, recordType, err := m.mfaIdentifier(ctx, s, b.IdentifierType)
	if err != nil {
		return experience.Reply{}, err
	}
	return m.check(ctx, s, recordType, id, b.VerificationID, *b.Code)
}

// Factors are the MFA factors whose binding stages a verified email or phone.
func (m *Method) Factors() []string { return []string{user.FactorEmail, user.FactorPhone} }

// Bind binds the email or phone of a verified code record as an MFA factor
// (docs/experience.md, MFA binding; decision 8: the factor must be enabled):
// the identifier is
// staged in the profile, and the binding counts as this interaction's
// verification of the factor.
func (m *Method) Bind(ctx context.Context, s *experience.Step, u *user.State, factor, verificationID string) ([]domain.Event, error) {
	if !interaction.FactorOn(m.h.Settings(), factor) {
		return nil, domain.E("session.mfa.mfa_factor_not_enabled")
	}
	violation, taken, err := m.h.StagingFacts(ctx, s, u, verificationID)
	if err != nil {
		return nil, err
	}
	profileType := settings.IdentifierEmail
	if factor == user.FactorPhone {
		profileType = settings.IdentifierPhone
	}
	staged, err := interaction.StageIdentifier(s.State, u, profileType, verificationID, violation, taken)
	if err != nil {
		return nil, err
	}
	return append(staged, interaction.Bound(factor, verificationID)), nil
}
