// Package session is the provider's sign-in session (docs/oidc.md, SSO
// session): started by a sign-in through /oidc/auth, named by the signed
// _session cookie, answering later authorization requests of any client
// without a new sign-in until it expires or the user logs out. A session
// is an aggregate, events.session.<id>; its id is the ID token's sid.
package session

import (
	"slices"
	"time"

	"github.com/authtrail/authtrail/domain"
)

// AggregateType names session aggregates.
const AggregateType = "session"

// Started is a sign-in: who, when, how (the amr values), and until when.
type Started struct {
	UserID        string    `json:"userId"`
	InteractionID string    `json:"interactionId"`
	AuthTime      time.Time `json:"authTime"`
	AMR           []string  `json:"amr"`
	ExpiresAt     time.Time `json:"expiresAt"`
}

// Ended is a logout (RP-initiated, /oidc/session/end).
type Ended struct {
	ClientID string `json:"clientId,omitempty"`
}

func (Started) EventType() string { return "session.started" }
func (Ended) EventType() string   { return "session.ended" }

// Events decodes session events.
var Events = domain.Registry{
	"session.started": func() domain.Event { return &Started{} },
	"session.ended":   func() domain.Event { return &Ended{} },
}

// State is a session as of its last event.
type State struct {
	ID string
	Started
	Begun, Ended bool
}

// Fold rebuilds a session from its events, oldest first.
func Fold(id string, events []domain.Event) State {
	s := State{ID: id}
	for _, ev := range events {
		switch e := ev.(type) {
		case *Started:
			s.Started = *e
			s.AMR = slices.Clone(e.AMR)
			s.Begun = true
		case *Ended:
			s.Ended = true
		}
	}
	return s
}

// Live reports whether the session can answer an authorization at now.
func (s State) Live(now time.Time) bool {
	return s.Begun && !s.Ended && now.Before(s.ExpiresAt)
}

// Fresh reports whether the sign-in is recent enough for a max_age in
// seconds (OIDC Core §3.1.2.1: older forces a new sign-in); nil is no limit.
func (s State) Fresh(maxAge *uint, now time.Time) bool {
	if maxAge == nil {
		return true
	}
	return now.Sub(s.AuthTime) <= time.Duration(*maxAge)*time.Second
}

// End logs the session out; ending an ended session records nothing.
func End(s State, clientID string) []domain.Event {
	if !s.Begun || s.Ended {
		return nil
	}
	return []domain.Event{&Ended{ClientID: clientID}}
}
