package code

import "time"

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
