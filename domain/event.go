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

// Failure is an event that records a refused attempt: a failed check, a
// counted failure, a lockout, or the refusal itself. A command that is
// refused with a business error commits its failure events and nothing
// else (docs/architecture.md, "The commit rule").
type Failure interface {
	Event
	RecordsFailure()
}

// A Refusal is the failure event that records a refused request with the
// error code it was answered: what the audit lists as the request's failure.
type Refusal interface {
	Failure
	RefusedWith() string
}

// Kept is an event a refused command may still commit because the API
// contract keeps it: the profile a Register identification stages from its
// verification record survives the refusal that follows, so the client can
// complete the profile and identify again.
type Kept interface {
	Event
	KeptOnRefusal()
}

// Claim is an event that spends the one use of a credential (a TOTP step,
// a backup code, an authenticator's counter) on the aggregate that
// serializes its uses. It commits first and alone, before the rest of its
// command's success (eventstore.Tx.Claim): a claim that loses a race
// refuses the request with nothing else written, and a claim that stands
// is never undone, so a credential is never used twice. When the rest then
// fails to commit, the credential stays spent, and the request may end
// refused: the only success event a refused request may leave behind. Its
// use id names the request that claimed it, so that request, decided
// again, finds its own claim instead of a replay.
type Claim interface {
	Event
	ClaimedBy() string
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

// Merge returns one registry holding the types of all of regs; a type
// registered twice is a programming mistake and panics.
func Merge(regs ...Registry) Registry {
	out := Registry{}
	for _, reg := range regs {
		for typ, newEvent := range reg {
			if _, dup := out[typ]; dup {
				panic(fmt.Sprintf("domain: event type %q registered twice", typ))
			}
			out[typ] = newEvent
		}
	}
	return out
}
