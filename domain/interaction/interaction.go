// Package interaction is the interaction aggregate: one sign-in,
// registration or forgot-password attempt, with its verification records
// (one per type, each owned by the authentication method that made it:
// see Record), the identified user and the staged profile. Its decisions
// here are the method-independent ones: identification, registration,
// profile, MFA policy and binding, submit.
package interaction

import (
	"maps"
	"slices"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// MFAStaging is what the interaction will write to the user's MFA at submit.
type MFAStaging struct {
	Enabled           *bool
	Skipped           bool
	SuggestionSkipped bool
	// Factors are the factors bound in this interaction, added to the user
	// at submit (ids and creation times are given then).
	Factors []user.Factor
	// Bound lists the factor types bound in this interaction, in order.
	Bound []string
}

// StagedFactor returns the staged factor of a type.
func (m MFAStaging) StagedFactor(factorType string) (user.Factor, bool) {
	for _, f := range m.Factors {
		if f.Type == factorType {
			return f, true
		}
	}
	return user.Factor{}, false
}

// StageFactor stages a factor to add at submit. A staged set of backup
// codes replaces an earlier one, as the user's new codes replace the old.
func (m *MFAStaging) StageFactor(f user.Factor) {
	m.Factors = slices.Clone(m.Factors)
	if f.Type == user.FactorBackupCode {
		m.Factors = slices.DeleteFunc(m.Factors, func(old user.Factor) bool { return old.Type == user.FactorBackupCode })
	}
	m.Factors = append(m.Factors, f)
}

// Profile is the staged profile (docs/experience.md, Profile).
type Profile struct {
	Username       *string
	PrimaryEmail   *string
	PrimaryPhone   *string
	PasswordDigest *string
	Name           *string
	Avatar         *string
	Profile        map[string]any
	CustomData     map[string]any
	Submitted      bool
	// Identity is the social or SSO identity to link at submit.
	Identity *user.Identity
}

// State is an interaction as of its last event.
type State struct {
	Started   bool
	Event     string
	ExpiresAt time.Time
	// Authorization is the OpenID Connect authorization request answered.
	Authorization string
	UserID        string
	Profile       Profile
	// Records in creation order; at most one per type.
	Records []Record
	MFA     MFAStaging
	// Completed: a sign-in or registration was submitted (the session is consumed).
	Completed bool
	// Cleared: a forgot-password submit wiped the interaction.
	Cleared bool
	// counts are the methods' attempt counters (Count), kept across restarts.
	counts map[string]int
	// starts counts the Started events, across restarts (Start).
	starts int
	// puts counts the records the log put or updated since the last start,
	// and putAt is that count at the last put or update of each record
	// type: a use decided before it is superseded (Adopt).
	puts  int
	putAt map[string]int
	// adopted are the uses on the user folded (Adopt), which
	// the submit names; adopting is set while Adopt folds one.
	adopted  []Verification
	adopting bool
}

// Fold rebuilds an interaction from its events, oldest first.
func Fold(events []domain.Event) State {
	var s State
	for _, ev := range events {
		s.Apply(ev)
	}
	return s
}

// Apply evolves the state by one event: the interaction's own events here,
// the methods' events by their ApplyTo.
func (s *State) Apply(ev domain.Event) {
	switch e := ev.(type) {
	case *Started:
		// A restart keeps the attempt counters: a new start must not reset
		// attempt limits.
		*s = State{Started: true, Event: e.Event, ExpiresAt: e.ExpiresAt, Authorization: e.Authorization, counts: s.counts, starts: s.starts + 1}
	case *EventSwitched:
		s.Event = e.To
		s.Profile = Profile{Submitted: s.Profile.Submitted}
	case *Identified:
		s.UserID = e.UserID
	case *UserRegistered:
		s.UserID = e.UserID
		s.Profile = Profile{Submitted: s.Profile.Submitted}
	case *ProfileStaged:
		s.Profile.merge(e)
	case *MFABound:
		on := true
		s.MFA.Enabled = &on
		s.MFA.Bound = append(slices.Clone(s.MFA.Bound), e.Type)
		if rec, ok := RecordOf[Bindable](*s, e.VerificationID); ok {
			rec.StageBinding(s)
		}
	case *MFASkipped:
		s.MFA.Skipped = true
	case *MFASuggestionSkipped:
		s.MFA.SuggestionSkipped = true
	case *Submitted:
		// Read from the log alone (a view, the provider's callback), the
		// verifications folded from the user are records too.
		for _, v := range e.Verifications {
			if r, ok := s.Record(v.ID); !ok || !r.Base().Verified {
				s.PutRecord(adoptedRecord{RecordBase: RecordBase{ID: v.ID, Type: v.Type, UserID: e.UserID, Verified: true}, amr: v.AMR})
			}
		}
		if e.Event == settings.EventForgotPassword {
			s.Cleared = true
		} else {
			s.Completed = true
		}
	case RecordEvent:
		e.ApplyTo(s)
	}
}

// Identified reports whether a user is bound to the interaction.
func (s State) Identified() bool { return s.UserID != "" }

// Active reports whether the interaction can still take requests at now.
func (s State) Active(now time.Time) bool {
	return s.Started && !s.Completed && !s.Cleared && now.Before(s.ExpiresAt)
}

func (p *Profile) merge(e *ProfileStaged) {
	pick := func(dst **string, v *string) {
		if v != nil {
			c := *v
			*dst = &c
		}
	}
	pick(&p.Username, e.Username)
	pick(&p.PrimaryEmail, e.PrimaryEmail)
	pick(&p.PrimaryPhone, e.PrimaryPhone)
	pick(&p.PasswordDigest, e.PasswordDigest)
	pick(&p.Name, e.Name)
	pick(&p.Avatar, e.Avatar)
	p.Profile = mergeMap(p.Profile, e.Profile)
	p.CustomData = mergeMap(p.CustomData, e.CustomData)
	p.Submitted = p.Submitted || e.Submitted
	if e.Identity != nil {
		id := *e.Identity
		p.Identity = &id
	}
}

func mergeMap(dst, src map[string]any) map[string]any {
	if len(src) == 0 {
		return dst
	}
	out := maps.Clone(dst)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, src)
	return out
}
