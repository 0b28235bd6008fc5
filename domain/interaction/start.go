package interaction

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/settings"
)

// Start begins or restarts an interaction for client (docs/experience.md, Interactions). A restart
// drops every record, the user and the profile, and gets a fresh lifetime;
// it keeps the authorization request the interaction answers (empty for a
// standalone interaction).
func Start(event string, now time.Time, ttl time.Duration, client Client, authorization string) []domain.Event {
	return []domain.Event{&Started{Event: event, ExpiresAt: now.Add(ttl), Client: client, Authorization: authorization}}
}

// SwitchEvent changes the interaction event (docs/experience.md, Interactions).
func SwitchEvent(s State, sie *settings.SignInExperience, to string) ([]domain.Event, error) {
	if !sie.AllowsEvent(to) {
		return nil, domain.E("auth.forbidden")
	}
	if (s.Event == settings.EventForgotPassword) != (to == settings.EventForgotPassword) {
		return nil, domain.E("session.not_supported_for_forgot_password")
	}
	if s.Event == to {
		return nil, nil
	}
	return []domain.Event{&EventSwitched{From: s.Event, To: to}}, nil
}
