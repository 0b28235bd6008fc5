package interaction

import (
	"slices"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// A Record is a verification record (docs/experience-api.md, "Verification
// records"): what one authentication method proved, or holds for a later
// step, in the interaction. Each method package defines its own record
// type, embedding RecordBase, and the events that build it
// (RecordEvent). The interaction keeps at most one record per Type, so a new
// record replaces the old one of its type.
type Record interface {
	Base() RecordBase
}

// RecordBase is what every record has.
type RecordBase struct {
	ID   string
	Type string // the wire type: "Password", "EmailVerificationCode", "Totp", …
	// UserID is the user the record proved (a password's), or the
	// identified user an MFA record belongs to.
	UserID string
	// Identifier is what the user typed, for records of an identifier.
	Identifier *Identifier
	Verified   bool
}

// Base returns the record's common fields.
func (b RecordBase) Base() RecordBase { return b }

// A RecordEvent is a method's event on the interaction: it folds itself
// into the state, usually by putting or updating its method's record.
type RecordEvent interface {
	domain.Event
	ApplyTo(s *State)
}

// An Identifying record can identify an existing user at SignIn and
// ForgotPassword.
type Identifying interface {
	Record
	// CheckIdentify refuses the record as identification for event when
	// the sign-in experience does not allow its method. The interaction has
	// already refused a sign-in the sign-in mode forbids.
	CheckIdentify(event string, sie *settings.SignInExperience) error
	// Identifies names the user the record proves.
	Identifies() Identity
}

// Identity names a user: by id, or as the owner of a unique identifier
// (the kind and the value typed; the accounts repository normalises it).
type Identity struct {
	UserID      string
	Kind, Value string
}

// A Federated record proves an identity at a social provider or an
// enterprise IdP once verified (IdentifyFederated).
type Federated interface {
	Identifying
	FederatedIdentity() user.Identity
	// VerifiedContacts are the email and phone the provider verified
	// ("" when it did not, or gave none): only these relate or link an
	// existing user.
	VerifiedContacts() (email, phone string)
}

// A ProfileSource stages profile data: when a Register identification
// creates the user from it, and through POST /profile of its ProfileType.
type ProfileSource interface {
	Record
	// ProfileType is the POST /profile type that stages it ("email",
	// "phone", "social"), or "" when only registration does.
	ProfileType() string
	// Profile is what it stages.
	Profile() *ProfileStaged
}

// An MFAProof proves one of the user's MFA factors when verified.
type MFAProof interface {
	Record
	// ProvesFactor is the factor it proves (user.FactorTotp, …), or "" when
	// it proves none (a record of a factor being bound).
	ProvesFactor() string
}

// An AuthMethod record names the authentication method it proves once
// verified, as an RFC 8176 amr value ("pwd", "otp", "email", "sms", "hwk",
// "fed"), or "" when it proves none (a factor being bound): what the ID
// token's amr lists for the interaction.
type AuthMethod interface {
	Record
	AMR() string
}

// AMR lists, once each and in record order, the amr values of the verified
// records: how the user authenticated in this interaction.
func (s State) AMR() []string {
	var out []string
	for _, r := range s.Records {
		m, ok := r.(AuthMethod)
		if ok && r.Base().Verified && m.AMR() != "" && !slices.Contains(out, m.AMR()) {
			out = append(out, m.AMR())
		}
	}
	return out
}

// A Bindable record holds a factor to bind: interaction.mfa.bound stages it
// with StageBinding.
type Bindable interface {
	Record
	StageBinding(s *State)
}

// Record finds a record by id.
func (s State) Record(id string) (Record, bool) {
	for _, r := range s.Records {
		if r.Base().ID == id {
			return r, true
		}
	}
	return nil, false
}

// RecordOf finds the record with id when it is an R.
func RecordOf[R Record](s State, id string) (R, bool) {
	rec, _ := s.Record(id)
	r, ok := rec.(R)
	return r, ok
}

// UserRecord finds the record with id when it is an R of the identified
// user: the MFA methods' records.
func UserRecord[R Record](s State, id string) (R, bool) {
	r, ok := RecordOf[R](s, id)
	return r, ok && r.Base().UserID == s.UserID
}

// PutRecord adds r, replacing any record of its type.
func (s *State) PutRecord(r Record) {
	typ := r.Base().Type
	s.Records = slices.DeleteFunc(slices.Clone(s.Records), func(old Record) bool { return old.Base().Type == typ })
	s.Records = append(s.Records, r)
	if !s.adopting {
		s.logged(typ)
	}
}

// UpdateRecord replaces the record with id by fn's result; it reports
// whether there was one.
func (s *State) UpdateRecord(id string, fn func(Record) Record) bool {
	for i, r := range s.Records {
		if r.Base().ID == id {
			s.Records = slices.Clone(s.Records)
			s.Records[i] = fn(r)
			if !s.adopting {
				s.logged(r.Base().Type)
			}
			return true
		}
	}
	return false
}

// UpdateRecordOf changes the record id when it is an R (a method's own
// record type), in place of UpdateRecord's type switch in every method.
func UpdateRecordOf[R Record](s *State, id string, fn func(*R)) {
	s.UpdateRecord(id, func(r Record) Record {
		if rec, ok := r.(R); ok {
			fn(&rec)
			return rec
		}
		return r
	})
}

// Count is an attempt counter of a method (code mismatches per
// identifier, say). Counters survive a restart of the interaction, so a new
// start cannot reset an attempt limit.
func (s State) Count(key string) int { return s.counts[key] }

// AddCount adds one to a counter.
func (s *State) AddCount(key string) {
	counts := make(map[string]int, len(s.counts)+1)
	for k, v := range s.counts {
		counts[k] = v
	}
	counts[key]++
	s.counts = counts
}
