package federated

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/workers/connectors"
)

// The events of a federated record. Each carries its Kind (not encoded):
// the same shapes are interaction.social.* and interaction.sso.*.

// AuthorizationStarted creates a record with its pending authorization
// (POST /verification/<kind>/{connectorId}/authorization-uri).
type AuthorizationStarted struct {
	kind                 *Kind
	VerificationID       string  `json:"verificationId"`
	ConnectorID          string  `json:"connectorId"`
	Target               string  `json:"target,omitempty"`
	SyncProfile          bool    `json:"syncProfile,omitempty"`
	TrustUnverifiedEmail bool    `json:"trustUnverifiedEmail,omitempty"`
	Session              Session `json:"session"`
}

// ResponseReceived records a SAML response at the assertion consumer
// service, sealed, until verify hands it to the worker.
type ResponseReceived struct {
	kind           *Kind
	VerificationID string      `json:"verificationId"`
	ResponseID     string      `json:"responseId"`
	Response       user.Sealed `json:"response"`
}

// ResponseReceived is the event recording a SAML response of the kind
// for record verificationID, sealed under responseID.
func (k *Kind) ResponseReceived(verificationID, responseID string, response user.Sealed) *ResponseReceived {
	return &ResponseReceived{kind: k, VerificationID: verificationID, ResponseID: responseID, Response: response}
}

// CallbackReceived consumes the pending authorization with the provider's
// answer (a code, or a SAML response; sealed), for the connector worker to
// exchange or check by Deadline. The contract keeps it when the exchange
// fails: a verify cannot be repeated with the same authorization.
type CallbackReceived struct {
	kind           *Kind
	VerificationID string      `json:"verificationId"`
	CallbackID     string      `json:"callbackId"`
	ConnectorID    string      `json:"connectorId"`
	Code           user.Sealed `json:"code"`
	RedirectURI    string      `json:"redirectUri"`
	Secrets        user.Sealed `json:"secrets"`
	Deadline       time.Time   `json:"deadline"`
}

// ExchangeStarted: the worker is calling the provider for a callback. A
// worker that finds it without an outcome crashed mid-call, and records
// that instead of exchanging the code a second time.
type ExchangeStarted struct {
	kind           *Kind
	VerificationID string `json:"verificationId"`
	CallbackID     string `json:"callbackId"`
}

// Verified records the identity the provider proved for a callback.
type Verified struct {
	kind           *Kind
	VerificationID string              `json:"verificationId"`
	CallbackID     string              `json:"callbackId"`
	Info           connectors.UserInfo `json:"userInfo"`
}

// VerificationFailed records a refused verification: a state that does
// not match (the authorization stays pending), a callback the provider or
// its checks refused, the provider not answering in time, or a worker that
// stopped mid-call (Reason says which).
type VerificationFailed struct {
	kind           *Kind
	VerificationID string `json:"verificationId"`
	CallbackID     string `json:"callbackId,omitempty"`
	Code           string `json:"code"`
	Reason         string `json:"reason"`
}

func (k *Kind) eventType(name string) string { return "interaction." + k.Name + "." + name }

func (e AuthorizationStarted) EventType() string { return e.kind.eventType("authorization_started") }
func (e ResponseReceived) EventType() string     { return e.kind.eventType("response_received") }
func (e CallbackReceived) EventType() string     { return e.kind.eventType("callback_received") }
func (e ExchangeStarted) EventType() string      { return e.kind.eventType("exchange_started") }
func (e Verified) EventType() string             { return e.kind.eventType("verified") }
func (e VerificationFailed) EventType() string   { return e.kind.eventType("verification_failed") }

func (CallbackReceived) KeptOnRefusal()          {}
func (ExchangeStarted) KeptOnRefusal()           {}
func (VerificationFailed) RecordsFailure()       {}
func (e VerificationFailed) RefusedWith() string { return e.Code }

func (e *AuthorizationStarted) ApplyTo(s *interaction.State) {
	session := e.Session
	s.PutRecord(e.kind.wrap(Record{RecordBase: interaction.RecordBase{ID: e.VerificationID, Type: e.kind.RecordType},
		ConnectorID: e.ConnectorID, Target: e.Target, SyncProfile: e.SyncProfile,
		TrustUnverifiedEmail: e.TrustUnverifiedEmail, Session: &session}))
}

func (e *ResponseReceived) ApplyTo(s *interaction.State) {
	e.kind.update(s, e.VerificationID, func(r *Record) {
		if r.Session != nil {
			r.Response = &Response{ID: e.ResponseID, Sealed: e.Response}
		}
	})
}

func (e *CallbackReceived) ApplyTo(s *interaction.State) {
	e.kind.update(s, e.VerificationID, func(r *Record) { r.Session, r.Response, r.Callback = nil, nil, e.CallbackID })
}

func (e *ExchangeStarted) ApplyTo(*interaction.State) {}

func (e *Verified) ApplyTo(s *interaction.State) {
	e.kind.update(s, e.VerificationID, func(r *Record) {
		if r.Callback == e.CallbackID {
			info := e.Info
			r.Info, r.Verified = &info, true
		}
	})
}

func (e *VerificationFailed) ApplyTo(*interaction.State) {}

// Events decodes the kind's events.
func (k *Kind) Events() domain.Registry {
	reg := domain.Registry{
		k.eventType("authorization_started"): func() domain.Event { return &AuthorizationStarted{kind: k} },
		k.eventType("callback_received"):     func() domain.Event { return &CallbackReceived{kind: k} },
		k.eventType("exchange_started"):      func() domain.Event { return &ExchangeStarted{kind: k} },
		k.eventType("verified"):              func() domain.Event { return &Verified{kind: k} },
		k.eventType("verification_failed"):   func() domain.Event { return &VerificationFailed{kind: k} },
	}
	if k.ACS {
		reg[k.eventType("response_received")] = func() domain.Event { return &ResponseReceived{kind: k} }
	}
	return reg
}
