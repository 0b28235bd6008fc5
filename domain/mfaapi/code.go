package mfaapi

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
)

// Templates of the codes the MFA API sends (the connectors' template names).
const (
	TemplateRegistration = "BindMfa"
	TemplateVerification = "MfaVerification"
)

// CodeDigits is the length of a server-sent OTP (docs/onelogin-api.md, Code sends and throttling).
const CodeDigits = 6

// CodeRequested is a server-sent OTP of an SMS or Email registration or
// verification, on that aggregate. As for the Experience API's codes, the
// code is here only as a keyed hash (bound to CodeBinding of the aggregate
// id) and sealed under a per-send data key the delivery worker deletes
// once it sent it; the delivery.requested outbox event is appended with it.
type CodeRequested struct {
	SendID     string      `json:"sendId"`
	Channel    string      `json:"channel"`
	To         string      `json:"to"`
	Template   string      `json:"templateType"`
	Digest     code.Digest `json:"digest"`
	SealedCode string      `json:"sealedCode"`
	ExpiresAt  time.Time   `json:"expiresAt"`
	// CustomMessage is the SMS text template (custom_message), or "".
	CustomMessage string `json:"customMessage,omitempty"`
}

// CodeSent is the delivery worker's report that the connector took it.
type CodeSent struct {
	SendID  string `json:"sendId"`
	Channel string `json:"channel"`
}

// CodeDeliveryFailed is the delivery worker's report that it gave up; the
// registration or verification stays pending until it expires.
type CodeDeliveryFailed struct {
	SendID string `json:"sendId"`
	Reason string `json:"reason"`
}

func (CodeRequested) EventType() string      { return "mfa.code.requested" }
func (CodeSent) EventType() string           { return "mfa.code.sent" }
func (CodeDeliveryFailed) EventType() string { return "mfa.code.delivery_failed" }

// codeEvents are shared by the registration and verification registries.
var codeEvents = domain.Registry{
	"mfa.code.requested":       func() domain.Event { return &CodeRequested{} },
	"mfa.code.sent":            func() domain.Event { return &CodeSent{} },
	"mfa.code.delivery_failed": func() domain.Event { return &CodeDeliveryFailed{} },
}

func withCodeEvents(r domain.Registry) domain.Registry {
	for k, v := range codeEvents {
		r[k] = v
	}
	return r
}

// CodeDelivery describes the send to the delivery worker.
func (e CodeRequested) CodeDelivery() code.Delivery {
	return code.Delivery{SendID: e.SendID, Channel: e.Channel, To: e.To, Template: e.Template,
		Sealed: e.SealedCode, ExpiresAt: e.ExpiresAt, CustomMessage: e.CustomMessage}
}

// DeliveryOutcome is the aggregate's event for the worker's outcome: sent
// when reason is empty, else failed for reason.
func (e CodeRequested) DeliveryOutcome(reason string) domain.Event {
	if reason == "" {
		return &CodeSent{SendID: e.SendID, Channel: e.Channel}
	}
	return &CodeDeliveryFailed{SendID: e.SendID, Reason: reason}
}

// DeliveredSendID names the send an outcome reports on.
func (e CodeSent) DeliveredSendID() string           { return e.SendID }
func (e CodeDeliveryFailed) DeliveredSendID() string { return e.SendID }

// CodeBinding is the hash binding of the code of a registration or
// verification id, apart from the Experience API's verification ids.
func CodeBinding(id string) string { return "mfa:" + id }

// Channel is the delivery channel of a factor kind ("" for TOTP).
func Channel(kind string) string {
	switch kind {
	case KindSMS:
		return code.ChannelSMS
	case KindEmail:
		return code.ChannelEmail
	}
	return ""
}
