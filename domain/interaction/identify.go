package interaction

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// IdentifyExisting binds a SignIn or ForgotPassword interaction to the user a
// verification record proves (docs/experience.md, Identification). u is that user,
// or nil when none owns the record's identifier.
func IdentifyExisting(s State, sie *settings.SignInExperience, verificationID string, u *user.State) ([]domain.Event, error) {
	if verificationID == "" {
		return nil, domain.E("guard.invalid_input")
	}
	rec, ok := s.Record(verificationID)
	if !ok {
		return nil, domain.E("session.verification_session_not_found")
	}
	if err := methodGate(s.Event, sie, rec); err != nil {
		return nil, err
	}
	if !rec.Base().Verified {
		return nil, domain.E("session.verification_failed")
	}
	if u == nil || !u.Exists {
		return nil, domain.E("user.user_not_exist").WithData(map[string]any{"identifier": rec.Base().Identifier})
	}
	if u.Suspended {
		return nil, domain.E("user.suspended")
	}
	if s.Identified() {
		if s.UserID == u.ID {
			return nil, nil
		}
		return nil, domain.E("session.identity_conflict")
	}
	return []domain.Event{&Identified{UserID: u.ID, VerificationID: rec.Base().ID}}, nil
}

// methodGate checks that the event and the sign-in experience allow a record
// to identify a user (docs/experience.md, Identification): ForgotPassword takes
// only what its methods allow; SignIn needs the sign-in mode, then the
// record's method enabled.
func methodGate(event string, sie *settings.SignInExperience, rec Record) error {
	idr, identifying := rec.(Identifying)
	switch {
	case event == settings.EventForgotPassword && !identifying:
		return domain.E("session.not_supported_for_forgot_password@identification")
	case event != settings.EventForgotPassword && !sie.AllowsEvent(settings.EventSignIn):
		return domain.E("auth.forbidden")
	case !identifying:
		return domain.E("user.sign_in_method_not_enabled")
	}
	return idr.CheckIdentify(event, sie)
}

// Registration is the outcome of a Register identification: interaction
// events (kept even when Err is set, docs/experience.md, Identification: the staged profile survives),
// and the user to create when it succeeded.
type Registration struct {
	Interaction []domain.Event
	User        *user.Registered
	Err         error
}

// RegisterInput holds the facts a Register identification decides on.
type RegisterInput struct {
	VerificationID string
	// Taken says, per identifier kind (user.KindUsername, …), that the
	// candidate value of that kind is owned by another user.
	Taken map[string]bool
	// EmailViolation is the email blocklist's refusal of the record's email
	// (nil: allowed).
	EmailViolation *domain.Error
	// NewUserID allocates the user id; it is called only when the user is created.
	NewUserID     func() string
	InteractionID string
	Now           time.Time
}

// Candidates are the unique identifiers a Register identification would
// claim, by kind: the record's, else the staged profile's.
func Candidates(s State, verificationID string) map[string]string {
	p := s.Profile
	if rec, ok := s.Record(verificationID); ok {
		if staged, err := profileFromRecord(rec); err == nil {
			p.merge(staged)
		}
	}
	return StagedIdentifiers(&p)
}

// profileFromRecord is what a record stages (docs/experience.md, Registration): a verified
// ProfileSource's profile.
func profileFromRecord(rec Record) (*ProfileStaged, error) {
	src, ok := rec.(ProfileSource)
	if !ok || !rec.Base().Verified {
		return nil, domain.E("session.verification_failed")
	}
	return src.Profile(), nil
}

// IdentifyNewUser creates the user of a Register interaction (docs/experience.md,
// Registration; decision 6), by the registration decision both APIs share
// (user.Register).
func IdentifyNewUser(s State, sie *settings.SignInExperience, in RegisterInput) Registration {
	if s.Identified() {
		return Registration{Err: domain.E("session.identity_conflict")}
	}
	profile := s.Profile
	var out Registration
	if in.VerificationID != "" {
		rec, ok := s.Record(in.VerificationID)
		if !ok {
			return Registration{Err: domain.E("session.verification_session_not_found")}
		}
		if src, ok := rec.(ProfileSource); ok && src.Profile().PrimaryEmail != nil && in.EmailViolation != nil {
			return Registration{Err: in.EmailViolation}
		}
		staged, err := profileFromRecord(rec)
		if err != nil {
			return Registration{Err: err}
		}
		if staged.Username != nil {
			if err := checkUsername(sie, *staged.Username, in.Taken[user.KindUsername]); err != nil {
				return Registration{Err: err}
			}
		}
		if err := checkTaken(staged, in.Taken); err != nil {
			return Registration{Err: err}
		}
		out.Interaction = append(out.Interaction, staged)
		profile.merge(staged)
	}
	if !sie.AllowsEvent(settings.EventRegister) {
		out.Err = domain.E("auth.forbidden")
		return out
	}
	if missing := MissingProfile(sie, nil, &profile, true); len(missing) > 0 {
		out.Err = domain.E("user.missing_profile").WithData(map[string]any{"missingProfile": missing})
		return out
	}
	created, err := user.Register(user.Registered{
		Username: deref(profile.Username), PrimaryEmail: deref(profile.PrimaryEmail),
		PrimaryPhone: deref(profile.PrimaryPhone), PasswordDigest: deref(profile.PasswordDigest),
		Name: deref(profile.Name), Avatar: deref(profile.Avatar), Profile: profile.Profile,
		CustomData: profile.CustomData, CreatedAt: in.Now, InteractionID: in.InteractionID,
	}, in.Taken, in.NewUserID)
	if err != nil {
		out.Err = err
		return out
	}
	out.User = created
	out.Interaction = append(out.Interaction, &UserRegistered{UserID: created.UserID})
	return out
}

// checkTaken refuses identifiers another user owns.
func checkTaken(p *ProfileStaged, taken map[string]bool) error {
	switch {
	case p.Username != nil && taken[user.KindUsername]:
		return domain.E("user.username_already_in_use")
	case p.PrimaryEmail != nil && taken[user.KindEmail]:
		return domain.E("user.email_already_in_use")
	case p.PrimaryPhone != nil && taken[user.KindPhone]:
		return domain.E("user.phone_already_in_use")
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
