package interaction

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
)

// CodeRequested creates an email or phone code record and asks the delivery
// worker to send the code. The code itself is only here sealed under a
// per-send data key that the worker deletes once it delivered the code; the
// record keeps a keyed hash to check it.
type CodeRequested struct {
	VerificationID string      `json:"verificationId"`
	RecordType     string      `json:"recordType"`
	Identifier     Identifier  `json:"identifier"`
	Template       string      `json:"templateType"`
	SendID         string      `json:"sendId"`
	Digest         code.Digest `json:"digest"`
	SealedCode     string      `json:"sealedCode,omitempty"`
	ExpiresAt      time.Time   `json:"expiresAt"`
	// Suppressed: nothing is sent (spec §1.12 step 4); the answer is the same.
	Suppressed bool `json:"suppressed,omitempty"`
}

// CodeSent is the delivery worker's report that the connector took the message.
type CodeSent struct {
	SendID  string `json:"sendId"`
	Channel string `json:"channel"`
}

// CodeDeliveryFailed is the delivery worker's report that it gave up.
type CodeDeliveryFailed struct {
	SendID string `json:"sendId"`
	Reason string `json:"reason"`
}

// CodeVerified marks a code record verified and its code consumed.
type CodeVerified struct {
	VerificationID string `json:"verificationId"`
}

// CodeFailed records a failed code check; mismatches count towards
// maxRetryAttempts, and a resend does not reset the count.
type CodeFailed struct {
	VerificationID string     `json:"verificationId"`
	Identifier     Identifier `json:"identifier"`
	Reason         string     `json:"reason"`
}

func (CodeRequested) EventType() string      { return "interaction.code.requested" }
func (CodeSent) EventType() string           { return "interaction.code.sent" }
func (CodeDeliveryFailed) EventType() string { return "interaction.code.delivery_failed" }
func (CodeVerified) EventType() string       { return "interaction.code.verified" }
func (CodeFailed) EventType() string         { return "interaction.code.failed" }
func (CodeFailed) RecordsFailure()           {}

// DeliveryAggregateType names the outbox aggregates of code sends:
// events.delivery.<sendId>. The delivery worker consumes only these, so
// it does not have to read (and acknowledge) every interaction event.
const DeliveryAggregateType = "delivery"

// DeliveryRequested asks the delivery worker to send the code of a code
// request event; it is appended atomically with that event. Subject is the
// aggregate holding the request (an MFA API registration or verification);
// empty means the interaction InteractionID (every request logged before
// the field existed).
type DeliveryRequested struct {
	InteractionID string `json:"interactionId,omitempty"`
	SendID        string `json:"sendId"`
	Subject       string `json:"subject,omitempty"`
}

func (DeliveryRequested) EventType() string { return "delivery.requested" }

// DeliveryEvents decodes the events of the delivery outbox.
var DeliveryEvents = domain.Registry{
	"delivery.requested": func() domain.Event { return &DeliveryRequested{} },
}

// CodeDelivery describes the send to the delivery worker.
func (e CodeRequested) CodeDelivery() code.Delivery {
	return code.Delivery{SendID: e.SendID, Channel: Channel(e.RecordType), To: e.Identifier.Value,
		Template: e.Template, Sealed: e.SealedCode, ExpiresAt: e.ExpiresAt}
}

// DeliveryOutcome is the interaction's event for the worker's outcome: sent
// when reason is empty, else failed for reason.
func (e CodeRequested) DeliveryOutcome(reason string) domain.Event {
	if reason == "" {
		return &CodeSent{SendID: e.SendID, Channel: Channel(e.RecordType)}
	}
	return &CodeDeliveryFailed{SendID: e.SendID, Reason: reason}
}

// DeliveredSendID names the send an outcome reports on.
func (e CodeSent) DeliveredSendID() string           { return e.SendID }
func (e CodeDeliveryFailed) DeliveredSendID() string { return e.SendID }

// Channel is the channel of a code record type: sms for phone codes,
// identification and MFA alike.
func Channel(recordType string) string {
	if recordType == RecordPhoneCode || recordType == RecordMfaPhoneCode {
		return code.ChannelSMS
	}
	return code.ChannelEmail
}
