// Package interaction is the interaction aggregate: one sign-in,
// registration or forgot-password attempt, with its verification records
// (one per type), the identified user and the staged profile.
package interaction

import (
	"maps"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/settings"
)

// Verification record types (experience spec §2.3).
const (
	RecordPassword            = "Password"
	RecordNewPasswordIdentity = "NewPasswordIdentity"
	RecordEmailCode           = "EmailVerificationCode"
	RecordPhoneCode           = "PhoneVerificationCode"
	RecordSocial              = "Social"
)

// Record is a verification record. Only the fields of its type are set.
type Record struct {
	ID             string
	Type           string
	Identifier     *Identifier
	Verified       bool
	UserID         string
	PasswordDigest string
	// Code records.
	Template  string
	Digest    code.Digest
	SendID    string
	ExpiresAt time.Time
	Consumed  bool
}

// Profile is the staged profile (experience spec §2.6).
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
}

// State is an interaction as of its last event.
type State struct {
	Started   bool
	Event     string
	ExpiresAt time.Time
	UserID    string
	Profile   Profile
	// Records in creation order; at most one per type.
	Records []Record
	// Completed: a sign-in or registration was submitted (the session is consumed).
	Completed bool
	// Cleared: a forgot-password submit wiped the interaction.
	Cleared bool
	// codeFailures counts code mismatches per record type and identifier,
	// across resends.
	codeFailures map[string]int
	// Deliveries maps a code send id to "sent" or "failed".
	Deliveries map[string]string
}

// Fold rebuilds an interaction from its events, oldest first.
func Fold(events []domain.Event) State {
	var s State
	for _, ev := range events {
		s.Apply(ev)
	}
	return s
}

// Apply evolves the state by one event.
func (s *State) Apply(ev domain.Event) {
	switch e := ev.(type) {
	case *Started:
		// A restart keeps the code failure counts and deliveries: a new
		// start must not reset attempt limits.
		*s = State{Started: true, Event: e.Event, ExpiresAt: e.ExpiresAt, codeFailures: s.codeFailures, Deliveries: s.Deliveries}
	case *EventSwitched:
		s.Event = e.To
		s.Profile = Profile{Submitted: s.Profile.Submitted}
	case *PasswordVerified:
		id := e.Identifier
		s.putRecord(Record{ID: e.VerificationID, Type: RecordPassword, Identifier: &id, Verified: true, UserID: e.UserID})
	case *NewPasswordIdentityVerified:
		id := Identifier{Type: settings.IdentifierUsername, Value: e.Username}
		s.putRecord(Record{ID: e.VerificationID, Type: RecordNewPasswordIdentity, Identifier: &id, Verified: true, PasswordDigest: e.PasswordDigest})
	case *Identified:
		s.UserID = e.UserID
	case *UserRegistered:
		s.UserID = e.UserID
		s.Profile = Profile{Submitted: s.Profile.Submitted}
	case *ProfileStaged:
		s.Profile.merge(e)
	case *CodeRequested:
		id := e.Identifier
		s.putRecord(Record{ID: e.VerificationID, Type: e.RecordType, Identifier: &id, Template: e.Template,
			Digest: e.Digest, SendID: e.SendID, ExpiresAt: e.ExpiresAt})
	case *CodeVerified:
		for i := range s.Records {
			if s.Records[i].ID == e.VerificationID {
				s.Records[i].Verified, s.Records[i].Consumed = true, true
			}
		}
	case *CodeFailed:
		if e.Reason == "verification_code.code_mismatch" {
			if s.codeFailures == nil {
				s.codeFailures = map[string]int{}
			}
			s.codeFailures[codeFailureKey(e.Identifier)]++
		}
	case *CodeSent:
		s.setDelivery(e.SendID, "sent")
	case *CodeDeliveryFailed:
		s.setDelivery(e.SendID, "failed")
	case *Submitted:
		if e.Event == settings.EventForgotPassword {
			s.Cleared = true
		} else {
			s.Completed = true
		}
	}
}

func (s *State) setDelivery(sendID, outcome string) {
	if s.Deliveries == nil {
		s.Deliveries = map[string]string{}
	}
	s.Deliveries[sendID] = outcome
}

// putRecord replaces any record of the same type (spec §2.2: keyed by type).
func (s *State) putRecord(r Record) {
	for i := range s.Records {
		if s.Records[i].Type == r.Type {
			s.Records = append(s.Records[:i:i], s.Records[i+1:]...)
			break
		}
	}
	s.Records = append(s.Records, r)
}

// Record finds a record by id.
func (s State) Record(id string) (Record, bool) {
	for _, r := range s.Records {
		if r.ID == id {
			return r, true
		}
	}
	return Record{}, false
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
