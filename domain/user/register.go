package user

import (
	"strings"

	"github.com/authtrail/authtrail/domain"
)

// uniqueKinds are the kinds of identifier a user's profile carries, in the
// order their conflicts are reported.
var uniqueKinds = []string{KindUsername, KindEmail, KindPhone}

// Identifiers are the unique identifiers the registration gives the user,
// by kind, as given (the claim keys normalise them).
func (e *Registered) Identifiers() map[string]string {
	out := map[string]string{}
	for kind, v := range map[string]string{KindUsername: e.Username, KindEmail: e.PrimaryEmail, KindPhone: e.PrimaryPhone} {
		if v != "" {
			out[kind] = v
		}
	}
	return out
}

// TakenError refuses a registration whose identifiers other users own.
// Kinds lists them in the order username, email, phone. It unwraps to the
// Experience API's refusal of the first (422 user.<kind>_already_in_use);
// the OneLogin-style API names them all.
type TakenError struct {
	Kinds []string
}

func (e *TakenError) Error() string { return "user: taken: " + strings.Join(e.Kinds, ", ") }

func (e *TakenError) Unwrap() error {
	switch e.Kinds[0] {
	case KindUsername:
		return domain.E("user.username_already_in_use")
	case KindEmail:
		return domain.E("user.email_already_in_use")
	}
	return domain.E("user.phone_already_in_use")
}

// Register decides the creation of a user, for both APIs that create
// users: the profile's unique identifiers must be free (taken says, by
// kind, that another user owns the value), then the user gets the id
// newID draws. It returns the user's first event; the caller appends it
// with the claims of its Identifiers, in one atomic append, so a value
// claimed meanwhile makes the append conflict and the registration is
// decided again.
func Register(profile Registered, taken map[string]bool, newID func() string) (*Registered, error) {
	var conflicts []string
	for _, kind := range uniqueKinds {
		if _, has := profile.Identifiers()[kind]; has && taken[kind] {
			conflicts = append(conflicts, kind)
		}
	}
	if len(conflicts) > 0 {
		return nil, &TakenError{Kinds: conflicts}
	}
	ev := profile
	ev.UserID = newID()
	return &ev, nil
}
