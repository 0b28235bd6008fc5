package interaction

import (
	"maps"
	"slices"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/user"
)

// Start numbers the interaction's starts, a restart included: what a use
// recorded on the user names (user.UseIn), so a verification made before
// a restart does not count after it.
func (s State) Start() int { return s.starts }

// In is how a use recorded on the user names this interaction, id, as it
// is now.
func (s State) In(id string) user.UseIn { return user.UseIn{ID: id, Start: s.starts, After: s.puts} }

// Adopted are the verifications folded from the user (Adopt), oldest
// first.
func (s State) Adopted() []Verification { return slices.Clone(s.adopted) }

// adoptedRecord is a Verification's record as the interaction's log alone
// shows it, after the submit named it.
type adoptedRecord struct {
	RecordBase
	amr string
}

func (r adoptedRecord) Base() RecordBase { return r.RecordBase }
func (r adoptedRecord) AMR() string      { return r.amr }

// Adopt folds the verifications recorded on the user alone for this
// interaction (user.Use: a TOTP or backup-code verify claims the use on
// the user and writes nothing here) that are not folded yet. eventOf is
// the record event of a use (its method's), false for one no method folds.
//
// The folded records are not written to the interaction: every load folds
// them again, after the interaction's own events, and the submit names
// them (Submitted.Verifications), with their type and amr, so the log
// alone reads them as records once it is submitted. A use therefore lands where it was
// decided, not at the end: a record the interaction's log put, of the
// same type, after the use was decided (user.UseIn.After) supersedes it,
// as it would have had the use been written in the interaction's log
// (PutRecord keeps the newest record of a type). It returns the events
// folded.
func (s *State) Adopt(id string, u *user.State, eventOf func(user.Use) (RecordEvent, bool)) []domain.Event {
	if u == nil || u.ID != s.UserID || !s.Started {
		return nil
	}
	var out []domain.Event
	for _, use := range u.UsesIn(id, s.starts) {
		if slices.ContainsFunc(s.adopted, func(v Verification) bool { return v.ID == use.RecordID }) {
			continue
		}
		ev, ok := eventOf(use)
		if !ok {
			continue
		}
		before := *s
		s.adopting = true
		ev.ApplyTo(s)
		s.adopting = false
		rec, put := s.Record(use.RecordID)
		if !put || !rec.Base().Verified || s.putAt[rec.Base().Type] > use.In.After {
			*s = before
			continue
		}
		v := Verification{ID: use.RecordID, Type: rec.Base().Type}
		if m, ok := rec.(AuthMethod); ok {
			v.AMR = m.AMR()
		}
		s.adopted = append(slices.Clone(s.adopted), v)
		out = append(out, ev)
	}
	return out
}

// logged counts a put or update of a record of typ by the log (Adopt).
func (s *State) logged(typ string) {
	s.puts++
	s.putAt = maps.Clone(s.putAt)
	if s.putAt == nil {
		s.putAt = map[string]int{}
	}
	s.putAt[typ] = s.puts
}
