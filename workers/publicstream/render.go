// Package publicstream republishes the event log, redacted, as CloudEvents
// on the stream AUTH_EVENTS (docs/audit.md, Public event stream): the
// stable door for downstream consumers, whose shapes are documented by a
// JSON schema per type (docs/events/).
package publicstream

import (
	"encoding/json"
	"fmt"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/ratelimit"
	"github.com/authtrail/authtrail/domain/redact"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

// Stream and subjects of the public events.
const (
	Stream        = "AUTH_EVENTS"
	SubjectPrefix = "authtrail"
	TypePrefix    = "authtrail."
	// ContentType is the structured mode of CloudEvents 1.0 in JSON.
	ContentType = "application/cloudevents+json"
	// SeqExtension carries the event's sequence in the log.
	SeqExtension = "authtrailseq"
	// HeaderSeq carries it on the NATS message too, so the worker finds
	// where it stopped without decoding.
	HeaderSeq = "Authtrail-Seq"
)

// Internal are the aggregate types of internal plumbing, left out of the
// public stream: the code delivery outbox, uniqueness claims and rate
// counters (docs/audit.md, Public event stream).
var Internal = []string{code.DeliveryAggregateType, user.ClaimAggregateType, ratelimit.AggregateType, mfaapi.SendAggregate}

// Public reports whether events of the aggregate type are republished.
func Public(aggType string) bool {
	for _, t := range Internal {
		if t == aggType {
			return false
		}
	}
	return true
}

// idFields name the aggregate's id in a public event's data.
var idFields = map[string]string{
	interaction.AggregateType:    "interactionId",
	user.AggregateType:           "userId",
	mfaapi.RegistrationAggregate: "registrationId",
	mfaapi.VerificationAggregate: "verificationId",
}

// always are data fields every event of a type shows, with the value
// they take when the event leaves them out (nil: null), so consumers find
// the same keys in each (docs/audit.md, Public event stream).
var always = map[string]map[string]any{
	"user.registered":     {"username": nil, "primaryEmail": nil, "primaryPhone": nil},
	"interaction.started": {"ip": "", "userAgent": ""},
}

// Data is the public payload of an event: the stored payload redacted,
// with the aggregate's id.
func Data(env eventstore.Envelope) map[string]any {
	data := redact.Payload(env.Data)
	if key, ok := idFields[env.AggType]; ok {
		data[key] = env.AggID
	}
	for key, def := range always[env.Type] {
		if v, ok := data[key]; !ok || (def == nil && v == "") {
			data[key] = def
		}
	}
	return data
}

// Render is the CloudEvent of a stored event; source is the server's
// public URL, which also roots the schema URLs.
func Render(env eventstore.Envelope, source string) (cloudevents.Event, error) {
	e := cloudevents.New()
	e.SetID(env.ID)
	e.SetSource(source)
	e.SetType(TypePrefix + env.Type)
	e.SetSubject(env.AggType + "/" + env.AggID)
	e.SetTime(env.Time)
	e.SetDataSchema(SchemaURL(source, env.Type))
	if env.Seq > 1<<31-1 {
		// CloudEvents integers are 32 bits.
		return e, fmt.Errorf("publicstream: event %d: sequence beyond the CloudEvents integer range", env.Seq)
	}
	e.SetExtension(SeqExtension, int32(env.Seq))
	if err := e.SetData("application/json", Data(env)); err != nil {
		return e, err
	}
	return e, e.Validate()
}

// Marshal is Render in JSON, structured mode.
func Marshal(env eventstore.Envelope, source string) ([]byte, error) {
	e, err := Render(env, source)
	if err != nil {
		return nil, err
	}
	return json.Marshal(e)
}

// Subject is the public stream subject of an event type.
func Subject(eventType string) string { return SubjectPrefix + "." + eventType }

// SchemaURL is where the server serves an event type's schema.
func SchemaURL(source, eventType string) string {
	return strings.TrimSuffix(source, "/") + SchemaPath + eventType + ".json"
}

// SchemaPath is the route prefix of the schemas.
const SchemaPath = "/api/events/schemas/"
