package experience

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/emailpolicy"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/ratelimit"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore"
)

type codeBody struct {
	Identifier       *identifierBody `json:"identifier"`
	InteractionEvent string          `json:"interactionEvent"`
	VerificationID   string          `json:"verificationId"`
	Code             *string         `json:"code"`
}

// decodeCodeBody guards the code routes' bodies (spec §1.12, §1.13).
func decodeCodeBody(r *http.Request, verify bool) (codeBody, error) {
	var body codeBody
	if err := httpx.Decode(r, &body); err != nil {
		return body, err
	}
	id := body.Identifier
	switch {
	case id == nil:
		return body, httpx.Invalid("body", `"identifier" is required`)
	case id.Type == settings.IdentifierEmail && (len(id.Value) > 256 || !emailPattern.MatchString(id.Value)),
		id.Type == settings.IdentifierPhone && !phonePattern.MatchString(id.Value):
		return body, httpx.Invalid("body", `"identifier.value" is invalid`)
	case id.Type != settings.IdentifierEmail && id.Type != settings.IdentifierPhone:
		return body, httpx.Invalid("body", `"identifier.type" must be email or phone`)
	case !verify && !slices.Contains(interactionEvents, body.InteractionEvent):
		return body, httpx.Invalid("body", `"interactionEvent" must be SignIn, Register or ForgotPassword`)
	case verify && (body.VerificationID == "" || body.Code == nil):
		return body, httpx.Invalid("body", `"verificationId" and "code" are required`)
	}
	return body, nil
}

func (h *Handler) emailViolation(email string) *domain.Error {
	p := h.sie().EmailBlocklistPolicy
	return emailpolicy.Policy{
		BlockDisposableAddresses: p.BlockDisposableAddresses, BlockSubaddressing: p.BlockSubaddressing,
		CustomAllowlist: p.CustomAllowlist, CustomBlocklist: p.CustomBlocklist,
	}.Check(email)
}

func (h *Handler) hasConnector(identifierType string) bool {
	if identifierType == settings.IdentifierPhone {
		return h.cfg.SMSConnector
	}
	return h.cfg.EmailConnector
}

// pendingCode is a code drawn once per request, so a re-decided step does
// not seal a second code or store a second key.
type pendingCode struct {
	sendID, plain, sealed string
	stored                bool
}

// codeSend is a code route's request: its body, the id of the record it
// creates, and the code drawn for it, shared by the attempts of the step
// (hence a pointer).
type codeSend struct {
	codeBody
	verificationID string
	pending        *pendingCode
}

func (h *Handler) parseCodeSend(r *http.Request) (*codeSend, error) {
	body, err := decodeCodeBody(r, false)
	return &codeSend{codeBody: body, verificationID: h.ids.NewID()}, err
}

func parseCodeVerify(r *http.Request) (codeBody, error) { return decodeCodeBody(r, true) }

// sendCode serves POST /verification/verification-code (spec §1.12). The
// code is not sent here: the event asks the delivery worker to send it.
func (h *Handler) sendCode(ctx context.Context, s *Step, in *codeSend) (Reply, error) {
	kind, key := h.users.Identifier(in.Identifier.Type, in.Identifier.Value)
	owner, err := accounts.Owner(ctx, s.Tx, kind, key)
	if err != nil {
		return Reply{}, err
	}
	identifier := interaction.Identifier{Type: in.Identifier.Type, Value: in.Identifier.Value}
	req := interaction.CodeRequest{Identifier: identifier, Event: in.InteractionEvent, UserExists: owner != ""}
	if identifier.Type == settings.IdentifierEmail {
		req.EmailViolation = h.emailViolation(identifier.Value)
	}
	plan, err := interaction.PlanCode(s.State, h.sie(), req)
	if err != nil {
		return Reply{}, err
	}
	if err := h.issueCode(ctx, s, codeIssue{
		verificationID: in.verificationID, identifier: identifier, recordType: interaction.RecordTypeFor(identifier.Type),
		template: plan.Template, suppressed: plan.Suppressed, recipientKey: kind + ":" + key,
	}, &in.pending); err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.verificationID}}, nil
}

// codeIssue is one code to create and (unless suppressed) deliver.
type codeIssue struct {
	verificationID string
	identifier     interaction.Identifier
	recordType     string
	template       string
	suppressed     bool
	recipientKey   string // kind:normalised value, for the send cap
}

// issueCode applies the send cap and the connector check, then appends the
// code record, the counted send and the delivery request (spec §1.12 steps 5–7).
// pending keeps the drawn code across re-decisions of the step.
func (h *Handler) issueCode(ctx context.Context, s *Step, c codeIssue, pending **pendingCode) error {
	limitSubject := eventstore.MustSubject(ratelimit.AggregateType, ratelimit.ID(c.recipientKey))
	envs, err := s.Tx.Load(ctx, limitSubject)
	if err != nil {
		return err
	}
	history, err := eventstore.Decode(envs, ratelimit.Events)
	if err != nil {
		return err
	}
	counted, err := ratelimit.Decide(history, h.clock.Now())
	if err != nil {
		return err
	}
	if !h.hasConnector(c.identifier.Type) {
		return domain.E("connector.not_found")
	}
	if *pending == nil {
		if *pending, err = h.drawCode(); err != nil {
			return err
		}
	}
	p := *pending
	requested := &interaction.CodeRequested{
		VerificationID: c.verificationID, RecordType: c.recordType, Identifier: c.identifier, Template: c.template,
		SendID: p.sendID, Digest: h.codes.Hash(c.verificationID, p.plain),
		ExpiresAt:  h.clock.Now().Add(time.Duration(h.sie().VerificationCodePolicy.ExpirationDuration) * time.Second),
		Suppressed: c.suppressed,
	}
	if !c.suppressed {
		if err := h.storeCodeKey(ctx, p); err != nil {
			return err
		}
		requested.SealedCode = p.sealed
	}
	s.Tx.Append(limitSubject, counted...)
	s.Append(requested)
	if !c.suppressed {
		s.Tx.Append(eventstore.MustSubject(interaction.DeliveryAggregateType, p.sendID),
			&interaction.DeliveryRequested{InteractionID: s.ID, SendID: p.sendID})
	}
	return nil
}

// drawCode generates a code and seals it under a fresh data key.
func (h *Handler) drawCode() (*pendingCode, error) {
	plain, err := code.Generate(h.random)
	if err != nil {
		return nil, err
	}
	p := &pendingCode{sendID: h.ids.NewID(), plain: plain}
	return p, nil
}

// storeCodeKey seals the code under a new data key kept in the code key
// store until the worker delivered it.
func (h *Handler) storeCodeKey(ctx context.Context, p *pendingCode) error {
	if p.stored {
		return nil
	}
	dataKey, err := code.NewDataKey(h.random)
	if err != nil {
		return err
	}
	if p.sealed, err = code.Seal(dataKey, p.sendID, p.plain, h.random); err != nil {
		return err
	}
	if err := h.codeKeys.Put(ctx, p.sendID, dataKey); err != nil {
		return err
	}
	p.stored = true
	return nil
}

// verifyCode serves POST /verification/verification-code/verify (spec §1.13).
func (h *Handler) verifyCode(ctx context.Context, s *Step, body codeBody) (Reply, error) {
	kind, key := h.users.Identifier(body.Identifier.Type, body.Identifier.Value)
	guard, err := h.loadSentinel(ctx, s, kind, key)
	if err != nil {
		return Reply{}, err
	}
	sie := h.sie()
	out := interaction.VerifyCode(s.State, interaction.CodeAttempt{
		VerificationID: body.VerificationID,
		Identifier:     interaction.Identifier{Type: body.Identifier.Type, Value: body.Identifier.Value},
		Code:           *body.Code,
		Matches:        func(d code.Digest) bool { return h.codes.Matches(d, body.VerificationID, *body.Code) },
		Policy:         sie.VerificationCodePolicy,
		Sentinel:       guard.state,
		SentinelPolicy: h.sentinelPolicy(),
		Now:            h.clock.Now(),
	})
	if err := s.settle(guard, "", out); err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": body.VerificationID}}, nil
}

// guard is an identifier's sentinel aggregate, loaded in a step.
type guard struct {
	subject string
	state   sentinel.State
}

// loadSentinel folds the shared password/code/token pool of an identifier.
func (h *Handler) loadSentinel(ctx context.Context, s *Step, kind, key string) (guard, error) {
	return h.loadGuard(ctx, s, sentinel.PoolIdentifier, kind+":"+key)
}

// loadGuard folds a sentinel pool of a target (an identifier, or a user id
// for the MFA pools).
func (h *Handler) loadGuard(ctx context.Context, s *Step, pool, target string) (guard, error) {
	g := guard{subject: eventstore.MustSubject(sentinel.AggregateType, sentinel.ID(pool, target))}
	envs, err := s.Tx.Load(ctx, g.subject)
	if err != nil {
		return g, err
	}
	events, err := eventstore.Decode(envs, sentinel.Events)
	g.state = sentinel.Fold(events)
	return g, err
}

// settle appends a verification outcome: on success the user's events (a
// consumed TOTP step or backup code, in the same atomic append) and the
// interaction's; on a refusal the sentinel's and the interaction's failure
// events, which are all that commit with the refusal. It returns the
// outcome's error.
func (s *Step) settle(g guard, userID string, out interaction.Outcome) error {
	if out.Err != nil {
		s.Tx.Failure(g.subject, out.Sentinel...)
		s.Failure(out.Interaction...)
		return out.Err
	}
	s.Tx.Append(g.subject, out.Sentinel...)
	if len(out.User) > 0 {
		s.Tx.Append(accounts.Subject(userID), out.User...)
	}
	s.Append(out.Interaction...)
	return nil
}

func (h *Handler) sentinelPolicy() sentinel.Policy {
	p := h.sie().SentinelPolicy
	return sentinel.Policy{MaxAttempts: p.MaxAttempts, LockoutDuration: time.Duration(p.LockoutDuration) * time.Minute}
}
