package admin

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/redact"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections/interactions"
)

// Redacted is what a field that held a secret shows.
const Redacted = redact.Mask

// Event is one event of the log as the admin API, replay and the public
// stream show it: its envelope, one human line, and its payload redacted.
type Event struct {
	Seq           uint64            `json:"seq"`
	ID            string            `json:"id"`
	Type          string            `json:"type"`
	Time          interactions.Time `json:"time"`
	Subject       string            `json:"subject"`
	CorrelationID string            `json:"correlationId"`
	Summary       string            `json:"summary"`
	Data          map[string]any    `json:"data"`
}

// EventOf shows one stored event; ev is its decoded form, nil when its type
// is not in the catalogue.
func EventOf(env eventstore.Envelope, ev domain.Event) Event {
	data := redact.Payload(env.Data)
	return Event{Seq: env.Seq, ID: env.ID, Type: env.Type, Time: interactions.At(env.Time), Subject: env.Subject,
		CorrelationID: env.CorrelationID, Summary: summarize(env.Type, ev, data), Data: data}
}

// summarize is the event's one line: its type, who and what it concerns,
// and for a refusal the error code answered.
func summarize(eventType string, ev domain.Event, data map[string]any) string {
	parts := []string{eventType}
	if id, ok := data["identifier"].(map[string]any); ok {
		parts = append(parts, fmt.Sprintf("%v %v", id["type"], id["value"]))
	}
	for _, key := range []string{"interactionEvent", "step", "userId", "factor", "type", "recordType", "channel"} {
		if v, ok := data[key]; ok && v != "" && v != nil {
			parts = append(parts, fmt.Sprintf("%s=%v", key, v))
		}
	}
	if sub, ok := ev.(*interaction.Submitted); ok && len(sub.Verifications) > 0 {
		// Recorded on the user alone (docs/architecture.md, Claims).
		var types []string
		for _, v := range sub.Verifications {
			types = append(types, v.Type)
		}
		parts = append(parts, "verified on the user: "+strings.Join(types, ","))
	}
	if r, ok := ev.(domain.Refusal); ok {
		parts = append(parts, "refused: "+r.RefusedWith())
	}
	return strings.Join(parts, " ")
}

// State is an interaction's state as the engine folded it, with only the
// fields that hold no secret (docs/audit.md, Interaction state).
type State struct {
	Started          bool               `json:"started"`
	InteractionEvent string             `json:"interactionEvent"`
	ExpiresAt        *interactions.Time `json:"expiresAt"`
	UserID           *string            `json:"userId"`
	Submitted        bool               `json:"submitted"`
	Profile          map[string]any     `json:"profile"`
	Records          []RecordView       `json:"verificationRecords"`
	MFA              MFAView            `json:"mfa"`
}

// RecordView is a verification record's common part: never its secrets.
type RecordView struct {
	ID         string                  `json:"id"`
	Type       string                  `json:"type"`
	UserID     *string                 `json:"userId"`
	Identifier *interaction.Identifier `json:"identifier"`
	Verified   bool                    `json:"verified"`
}

// MFAView is what the interaction stages for the user's MFA: factor types,
// never their secrets.
type MFAView struct {
	Enabled           *bool    `json:"enabled"`
	Skipped           bool     `json:"skipped"`
	SuggestionSkipped bool     `json:"suggestionSkipped"`
	Bound             []string `json:"bound"`
}

// StateOf shows a folded interaction.
func StateOf(s interaction.State) State {
	v := State{Started: s.Started, InteractionEvent: s.Event, Submitted: s.Completed || s.Cleared,
		Profile: map[string]any{}, Records: []RecordView{}, MFA: MFAView{Enabled: s.MFA.Enabled, Skipped: s.MFA.Skipped,
			SuggestionSkipped: s.MFA.SuggestionSkipped, Bound: append([]string{}, s.MFA.Bound...)}}
	if !s.ExpiresAt.IsZero() {
		at := interactions.At(s.ExpiresAt)
		v.ExpiresAt = &at
	}
	if s.UserID != "" {
		id := s.UserID
		v.UserID = &id
	}
	p := s.Profile
	for key, val := range map[string]*string{"username": p.Username, "primaryEmail": p.PrimaryEmail, "primaryPhone": p.PrimaryPhone,
		"name": p.Name, "avatar": p.Avatar} {
		if val != nil {
			v.Profile[key] = *val
		}
	}
	if p.PasswordDigest != nil {
		v.Profile["password"] = Redacted
	}
	if len(p.Profile) > 0 {
		v.Profile["profile"] = redact.Value(clone(p.Profile))
	}
	if len(p.CustomData) > 0 {
		v.Profile["customData"] = redact.Value(clone(p.CustomData))
	}
	for _, r := range s.Records {
		b := r.Base()
		rv := RecordView{ID: b.ID, Type: b.Type, Identifier: b.Identifier, Verified: b.Verified}
		if b.UserID != "" {
			id := b.UserID
			rv.UserID = &id
		}
		v.Records = append(v.Records, rv)
	}
	return v
}

// clone copies a JSON-like map deeply enough for redact to change it.
func clone(m map[string]any) any {
	data, _ := json.Marshal(m)
	var out any
	_ = json.Unmarshal(data, &out)
	return out
}
