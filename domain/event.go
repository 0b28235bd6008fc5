package domain

import (
	"encoding/json"
	"fmt"
)

// Event is a fact recorded in the event log. Its JSON form is the payload;
// its type travels in a header so consumers can route without decoding.
type Event interface {
	EventType() string
}

// Registry maps event type names to constructors of their Go types, so a
// stored payload can be turned back into the event it was.
type Registry map[string]func() Event

// Decode turns a stored payload of the given type into its event.
func (r Registry) Decode(eventType string, data []byte) (Event, error) {
	newEvent, ok := r[eventType]
	if !ok {
		return nil, fmt.Errorf("domain: unknown event type %q", eventType)
	}
	ev := newEvent()
	if err := json.Unmarshal(data, ev); err != nil {
		return nil, fmt.Errorf("domain: decode %s: %w", eventType, err)
	}
	return ev, nil
}
