package code

import (
	"time"

	"github.com/authtrail/authtrail/domain"
)

// Channels a code is delivered over.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Delivery is what the delivery worker needs of a code request, whichever
// aggregate holds it (an interaction, an MFA API registration or
// verification): the send, where it goes, the sealed code and its expiry.
type Delivery struct {
	SendID    string
	Channel   string // ChannelEmail or ChannelSMS
	To        string
	Template  string
	Sealed    string // the code sealed under the send's data key; "" when nothing is to be sent
	ExpiresAt time.Time
	// CustomMessage is an SMS text template (OneLogin's custom_message), or "".
	CustomMessage string
}

// DeliveryAggregateType names the outbox aggregates of code sends:
// events.delivery.<sendId>. The delivery worker consumes only these, so
// it does not have to read (and acknowledge) every interaction event.
const DeliveryAggregateType = "delivery"

// DeliveryRequested asks the delivery worker to send the code of a code
// request event; it is appended just before that event, on its own
// (docs/architecture.md, Claims). Subject is the
// aggregate holding the request (an MFA API registration or verification);
// empty means the interaction InteractionID (every request logged before
// the field existed).
type DeliveryRequested struct {
	InteractionID string `json:"interactionId,omitempty"`
	SendID        string `json:"sendId"`
	Subject       string `json:"subject,omitempty"`
}

func (DeliveryRequested) EventType() string { return "delivery.requested" }

// ClaimedBy makes a request a domain.Claim: the Experience API commits it
// ahead of the code record, under DeliveryRequestID.
func (e DeliveryRequested) ClaimedBy() string { return e.SendID }

// DeliveryRequestID is the event id of a send's delivery request, so a
// request decided again finds it stored rather than asking twice.
func DeliveryRequestID(sendID string) string { return "send-" + sendID }

// DeliveryAbandoned closes a delivery request whose code request never
// committed (the request that asked failed after asking): nothing is sent.
type DeliveryAbandoned struct {
	SendID string `json:"sendId"`
	Reason string `json:"reason"`
}

func (DeliveryAbandoned) EventType() string { return "delivery.abandoned" }

// DeliveryEvents decodes the events of the delivery outbox.
var DeliveryEvents = domain.Registry{
	"delivery.requested": func() domain.Event { return &DeliveryRequested{} },
	"delivery.abandoned": func() domain.Event { return &DeliveryAbandoned{} },
}
