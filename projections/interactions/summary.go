package interactions

import (
	"slices"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
)

// Statuses of a summary; expired is computed at read time.
const (
	StatusActive    = "active"
	StatusSubmitted = "submitted"
	StatusExpired   = "expired"
)

// Summary is one interaction as the admin API lists it (docs/audit.md,
// Interaction summary).
type Summary struct {
	ID               string                  `json:"id"`
	InteractionEvent string                  `json:"interactionEvent"`
	Status           string                  `json:"status"`
	UserID           *string                 `json:"userId"`
	StartedAt        Time                    `json:"startedAt"`
	UpdatedAt        Time                    `json:"updatedAt"`
	EndedAt          *Time                   `json:"endedAt"`
	ExpiresAt        time.Time               `json:"-"`
	IP               string                  `json:"ip"`
	UserAgent        string                  `json:"userAgent"`
	Identifier       *interaction.Identifier `json:"identifier"`
	Verifications    []string                `json:"verifications"`
	Failures         []Failure               `json:"failures"`
	EventCount       int                     `json:"eventCount"`
	LastSeq          uint64                  `json:"lastSeq"`
}

// Failure is a refused request of the interaction.
type Failure struct {
	Seq  uint64 `json:"seq"`
	At   Time   `json:"at"`
	Code string `json:"code"`
	// correlationID groups the failure events of one request.
	correlationID string
}

// entry is an interaction being folded: the engine's own state of it and
// the summary drawn from that state.
type entry struct {
	state   interaction.State
	summary Summary
	// failureRequest is the correlation id of the last failure listed, so
	// the failure events of one request count once.
	failureRequest string
}

// apply folds one event of the interaction (ev is nil for a type this build
// does not know) into the entry, with the live API's fold.
func (e *entry) apply(env eventstore.Envelope, ev domain.Event) {
	s := &e.summary
	if s.EventCount == 0 {
		s.ID, s.StartedAt = env.AggID, At(env.Time)
	}
	s.EventCount++
	s.UpdatedAt, s.LastSeq = At(env.Time), env.Seq
	if ev == nil {
		return
	}
	if started, ok := ev.(*interaction.Started); ok && s.IP == "" && s.UserAgent == "" {
		s.IP, s.UserAgent = started.IP, started.UserAgent
	}
	e.state.Apply(ev)
	st := e.state
	s.InteractionEvent, s.ExpiresAt = st.Event, st.ExpiresAt
	if st.UserID != "" {
		id := st.UserID
		s.UserID = &id
	}
	if _, ok := ev.(*interaction.Submitted); ok {
		at := At(env.Time)
		s.EndedAt = &at
	}
	for _, rec := range st.Records {
		base := rec.Base()
		if !base.Verified {
			continue
		}
		if !slices.Contains(s.Verifications, base.Type) {
			s.Verifications = append(s.Verifications, base.Type)
		}
		if s.Identifier == nil && base.Identifier != nil {
			id := *base.Identifier
			s.Identifier = &id
		}
	}
	if refusal, ok := ev.(domain.Refusal); ok {
		if env.CorrelationID == "" || env.CorrelationID != e.failureRequest {
			s.Failures = append(s.Failures, Failure{Seq: env.Seq, At: At(env.Time), Code: refusal.RefusedWith(), correlationID: env.CorrelationID})
		}
		e.failureRequest = env.CorrelationID
	}
}

// StatusAt is the summary's status at now: an interaction not submitted
// whose lifetime has passed is expired.
func (s Summary) StatusAt(now time.Time) string {
	switch {
	case s.EndedAt != nil:
		return StatusSubmitted
	case !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt):
		return StatusExpired
	}
	return StatusActive
}

// Summarize draws the summary of an interaction from its events, oldest
// first, as the read model does: the detail route computes it from the log
// so that it never lags. now tells whether it has expired.
func Summarize(reg domain.Registry, envs []eventstore.Envelope, now time.Time) (Summary, error) {
	var e entry
	for _, env := range envs {
		ev, _, err := projections.Decode(reg, env)
		if err != nil {
			return Summary{}, err
		}
		e.apply(env, ev)
	}
	s := e.summary
	s.Status = s.StatusAt(now)
	if s.Verifications == nil {
		s.Verifications = []string{}
	}
	if s.Failures == nil {
		s.Failures = []Failure{}
	}
	return s, nil
}
