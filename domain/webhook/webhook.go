// Package webhook is the record of webhook deliveries: every attempt to
// deliver one hook event to one receiver, and giving up (docs/audit.md,
// Webhooks). A delivery is an aggregate, events.webhook.<delivery id>.
package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/authtrail/authtrail/domain"
)

// AggregateType names delivery aggregates.
const AggregateType = "webhook"

// Logto's hook event names (experience spec §5.1, §5.2).
const (
	PostRegister      = "PostRegister"
	PostSignIn        = "PostSignIn"
	PostResetPassword = "PostResetPassword"
	UserCreated       = "User.Created"
	UserDataUpdated   = "User.Data.Updated"
	UserDeleted       = "User.Deleted"
	IdentifierLockout = "Identifier.Lockout"
)

// Names lists the hook event names a hook may subscribe to.
var Names = []string{PostRegister, PostSignIn, PostResetPassword, UserCreated, UserDataUpdated, UserDeleted, IdentifierLockout}

// DeliveryID names the delivery of a hook event, caused by one event of
// the log, to one hook: the same across attempts and restarts, so it is
// also the Standard Webhooks webhook-id.
func DeliveryID(hookID, hookEvent, causeID string) string {
	sum := sha256.Sum256([]byte(hookID + "\x00" + hookEvent + "\x00" + causeID))
	return "wh" + hex.EncodeToString(sum[:12])
}

// Attempted is one attempt: the receiver's status, or the error (a
// timeout, a refused connection), and how long it took.
type Attempted struct {
	HookID     string    `json:"hookId"`
	Event      string    `json:"event"`
	CauseID    string    `json:"causeId"` // the log event that caused the delivery
	Attempt    int       `json:"attempt"`
	Status     *int      `json:"status"`
	Error      *string   `json:"error"`
	DurationMs int64     `json:"durationMs"`
	At         time.Time `json:"at"`
}

// Failed records giving up after the last attempt.
type Failed struct {
	HookID   string `json:"hookId"`
	Event    string `json:"event"`
	CauseID  string `json:"causeId"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error"`
}

func (Attempted) EventType() string { return "webhook.attempted" }
func (Failed) EventType() string    { return "webhook.failed" }

// Delivered reports whether the attempt succeeded (a 2xx answer).
func (a Attempted) Delivered() bool { return a.Status != nil && *a.Status >= 200 && *a.Status < 300 }

// Events decodes delivery events.
var Events = domain.Registry{
	"webhook.attempted": func() domain.Event { return &Attempted{} },
	"webhook.failed":    func() domain.Event { return &Failed{} },
}

// State is a delivery as of its last event.
type State struct {
	Attempts  int
	Delivered bool
	Failed    bool
}

// Fold rebuilds a delivery.
func Fold(events []domain.Event) State {
	var s State
	for _, ev := range events {
		switch e := ev.(type) {
		case *Attempted:
			s.Attempts = max(s.Attempts, e.Attempt)
			s.Delivered = s.Delivered || e.Delivered()
		case *Failed:
			s.Failed = true
		}
	}
	return s
}

// Done reports whether nothing is left to attempt.
func (s State) Done() bool { return s.Delivered || s.Failed }
