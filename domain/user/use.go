package user

import (
	"slices"
	"time"
)

// UseIn names the interaction a factor's use verifies: its id and its
// start (interaction.State.Start), so a use made before a restart of the
// interaction does not verify the restarted one; and After, how many
// records the interaction's log had put in that start when the use was
// decided, so a record the interaction puts after the use supersedes it
// as the newer (one record per type, interaction.State.PutRecord).
type UseIn struct {
	ID    string `json:"id"`
	Start int    `json:"start"`
	After int    `json:"after"`
}

// A Use is a verification recorded on the user alone: the Experience API's
// TOTP, backup-code and WebAuthn verifies claim the factor's use here and
// write nothing on the interaction, which folds the use from here on every load
// (interaction.State.Adopt) and names it in its submit
// (docs/architecture.md, Claims).
type Use struct {
	In         UseIn
	UseID      string // the request's use id
	RecordID   string // the interaction's record it verifies
	FactorID   string
	FactorType string
	At         time.Time
}

// MaxUses bounds the uses a user keeps for interactions still to fold
// them. An interaction submitted after more of its user's verifies than
// this, in other interactions, has lost its own and must verify again:
// it fails closed.
const MaxUses = 16

// UsesIn returns the uses that verify start of interaction id, oldest
// first.
func (s *State) UsesIn(id string, start int) []Use {
	var out []Use
	for _, u := range s.Uses {
		if u.In.ID == id && u.In.Start == start {
			out = append(out, u)
		}
	}
	return out
}

func (s *State) recordUse(in *UseIn, useID, recordID, factorID, factorType string, at time.Time) {
	if in == nil {
		return
	}
	uses := slices.Clone(s.Uses)
	if len(uses) >= MaxUses {
		uses = uses[len(uses)-MaxUses+1:]
	}
	s.Uses = append(uses, Use{In: *in, UseID: useID, RecordID: recordID, FactorID: factorID, FactorType: factorType, At: at})
}
