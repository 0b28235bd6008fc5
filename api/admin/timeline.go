package admin

import (
	"fmt"
	"io"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/eventstore"
)

// Show renders a stored event, decoding it with the catalogue (by the
// aggregate type of its subject) for its summary.
func Show(catalogue map[string]domain.Registry, env eventstore.Envelope) Event {
	var ev domain.Event
	if reg, ok := catalogue[env.AggType]; ok {
		if _, known := reg[env.Type]; known {
			ev, _ = reg.Decode(env.Type, env.Data)
		}
	}
	return EventOf(env, ev)
}

// FoldAt folds an interaction's events with seq at most at (all of them
// when at is nil) with the live API's fold: what the engine knew then.
func FoldAt(reg domain.Registry, envs []eventstore.Envelope, at *uint64) (interaction.State, error) {
	upTo := envs
	if at != nil {
		upTo = nil
		for _, env := range envs {
			if env.Seq <= *at {
				upTo = append(upTo, env)
			}
		}
	}
	events, err := eventstore.Decode(upTo, reg)
	if err != nil {
		return interaction.State{}, err
	}
	return interaction.Fold(events), nil
}

// Replay is an interaction's timeline as `authtrail replay --json` prints it.
type Replay struct {
	ID     string  `json:"id"`
	At     *uint64 `json:"at,omitempty"`
	Events []Event `json:"events"`
	State  State   `json:"state"`
}

// ReplayOf builds the replay of an interaction from its events, up to at
// when given.
func ReplayOf(catalogue map[string]domain.Registry, id string, envs []eventstore.Envelope, at *uint64) (Replay, error) {
	state, err := FoldAt(catalogue[interaction.AggregateType], envs, at)
	if err != nil {
		return Replay{}, err
	}
	r := Replay{ID: id, At: at, Events: []Event{}, State: StateOf(state)}
	for _, env := range envs {
		if at != nil && env.Seq > *at {
			break
		}
		r.Events = append(r.Events, Show(catalogue, env))
	}
	return r, nil
}

// WriteTimeline prints one line per event: seq, time, the time since the
// previous event, type and summary.
func WriteTimeline(w io.Writer, events []Event) error {
	var prev time.Time
	for i, e := range events {
		delta := time.Duration(0)
		if i > 0 {
			delta = e.Time.Sub(prev)
		}
		prev = e.Time.Time
		if _, err := fmt.Fprintf(w, "%6d  %s  +%-9s  %s\n", e.Seq, e.Time.Format("2006-01-02T15:04:05.000Z07:00"),
			delta.Round(time.Millisecond), e.Summary); err != nil {
			return err
		}
	}
	return nil
}
