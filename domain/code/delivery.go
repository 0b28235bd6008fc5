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
