// Package interaction is the interaction aggregate: one sign-in,
// registration or forgot-password attempt, with its verification records
// (one per type), the identified user and the staged profile.
package interaction

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
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
	// MFA records. NewSecret, a registration Credential or BackupCodes make
	// a "new bind" record, which binds a factor but does not verify one.
	NewSecret   *user.Sealed
	Ceremony    string
	Session     json.RawMessage
	Credential  *user.Factor
	BackupCodes []user.CodeHash
	FactorID    string
}

// MFAStaging is what the interaction will write to the user's MFA at submit.
type MFAStaging struct {
	Enabled           *bool
	Skipped           bool
	SuggestionSkipped bool
	Totp              *user.Sealed
	WebAuthn          []user.Factor
	BackupCodes       []user.CodeHash
	// Bound lists the factor types bound in this interaction, in order.
	Bound []string
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
	MFA     MFAStaging
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
	case *TotpSecretCreated:
		secret := e.Secret
		s.putRecord(Record{ID: e.VerificationID, Type: RecordTotp, UserID: e.UserID, NewSecret: &secret})
	case *TotpVerified:
		if !s.updateRecord(e.VerificationID, func(r *Record) { r.Verified = true }) {
			s.putRecord(Record{ID: e.VerificationID, Type: RecordTotp, UserID: e.UserID, Verified: true, FactorID: e.FactorID})
		}
	case *WebAuthnChallenged:
		s.putRecord(Record{ID: e.VerificationID, Type: RecordWebAuthn, UserID: e.UserID, Ceremony: e.Ceremony, Session: e.Session})
	case *WebAuthnRegistered:
		cred := e.Credential
		s.updateRecord(e.VerificationID, func(r *Record) { r.Verified, r.Credential, r.Session = true, &cred, nil })
	case *WebAuthnAuthenticated:
		s.updateRecord(e.VerificationID, func(r *Record) { r.Verified, r.FactorID, r.Session = true, e.FactorID, nil })
	case *BackupCodesGenerated:
		s.putRecord(Record{ID: e.VerificationID, Type: RecordBackupCode, UserID: e.UserID, BackupCodes: e.Codes})
	case *BackupCodeVerified:
		s.putRecord(Record{ID: e.VerificationID, Type: RecordBackupCode, UserID: e.UserID, Verified: true, FactorID: e.FactorID})
	case *MFABound:
		s.applyBound(e)
	case *MFASkipped:
		s.MFA.Skipped = true
	case *MFASuggestionSkipped:
		s.MFA.SuggestionSkipped = true
	case *Submitted:
		if e.Event == settings.EventForgotPassword {
			s.Cleared = true
		} else {
			s.Completed = true
		}
	}
}

// updateRecord changes the record with id; it reports whether one exists.
func (s *State) updateRecord(id string, fn func(*Record)) bool {
	for i := range s.Records {
		if s.Records[i].ID == id {
			s.Records = slices.Clone(s.Records)
			fn(&s.Records[i])
			return true
		}
	}
	return false
}

// applyBound stages a factor from its record; binding any factor turns MFA on.
func (s *State) applyBound(e *MFABound) {
	on := true
	s.MFA.Enabled = &on
	s.MFA.Bound = append(slices.Clone(s.MFA.Bound), e.Type)
	rec, _ := s.Record(e.VerificationID)
	switch e.Type {
	case user.FactorTotp:
		s.MFA.Totp = rec.NewSecret
	case user.FactorWebAuthn:
		if rec.Credential != nil {
			s.MFA.WebAuthn = append(slices.Clone(s.MFA.WebAuthn), *rec.Credential)
		}
	case user.FactorBackupCode:
		s.MFA.BackupCodes = rec.BackupCodes
	case user.FactorEmail:
		s.putRecord(Record{ID: e.VerificationID + "-mfa", Type: RecordMfaEmailCode, UserID: s.UserID, Verified: true})
	case user.FactorPhone:
		s.putRecord(Record{ID: e.VerificationID + "-mfa", Type: RecordMfaPhoneCode, UserID: s.UserID, Verified: true})
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
