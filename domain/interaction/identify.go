package interaction

import (
	"slices"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// IdentifyExisting binds a SignIn or ForgotPassword interaction to the user a
// verification record proves (experience spec §1.3, §2.4). u is that user,
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
	if !rec.Verified {
		return nil, domain.E("session.verification_failed")
	}
	if u == nil || !u.Exists {
		return nil, domain.E("user.user_not_exist").WithData(map[string]any{"identifier": rec.Identifier})
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
	return []domain.Event{&Identified{UserID: u.ID, VerificationID: rec.ID}}, nil
}

// methodGate checks that the event and the sign-in experience allow a record
// to identify a user (experience spec §2.4 steps 2–3).
func methodGate(event string, sie *settings.SignInExperience, rec Record) error {
	if event == settings.EventForgotPassword {
		if rec.Type != RecordEmailCode && rec.Type != RecordPhoneCode {
			return domain.E("session.not_supported_for_forgot_password").WithStatus(422)
		}
		if sie.ForgotPasswordMethods != nil && !slices.Contains(sie.ForgotPasswordMethods, rec.Type) {
			return domain.E("session.not_supported_for_forgot_password").WithStatus(422)
		}
		return nil
	}
	if !sie.AllowsEvent(settings.EventSignIn) {
		return domain.E("auth.forbidden")
	}
	switch rec.Type {
	case RecordPassword, RecordEmailCode, RecordPhoneCode:
		method, ok := sie.SignInMethodFor(rec.Identifier.Type)
		if !ok || rec.Type == RecordPassword && !method.Password || rec.Type != RecordPassword && !method.VerificationCode {
			return domain.E("user.sign_in_method_not_enabled")
		}
		return nil
	case RecordSocial:
		return nil
	}
	return domain.E("user.sign_in_method_not_enabled")
}

// Registration is the outcome of a Register identification: interaction
// events (kept even when Err is set, spec §1.3: the staged profile survives),
// and the user to create when it succeeded.
type Registration struct {
	Interaction []domain.Event
	User        *user.Registered
	Err         error
}

// RegisterInput holds the facts a Register identification decides on.
type RegisterInput struct {
	VerificationID string
	// UsernameTaken says the candidate username (the record's, or else the
	// staged one) is owned by another user.
	UsernameTaken bool
	NewUserID     string
	InteractionID string
	Now           time.Time
}

// CandidateUsername is the username a Register identification would claim.
func CandidateUsername(s State, verificationID string) string {
	if rec, ok := s.Record(verificationID); ok && rec.Type == RecordNewPasswordIdentity && rec.Identifier != nil {
		return rec.Identifier.Value
	}
	if s.Profile.Username != nil {
		return *s.Profile.Username
	}
	return ""
}

// IdentifyNewUser creates the user of a Register interaction (experience spec
// §1.3, Register branch; §6 decision 6).
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
		if rec.Type != RecordNewPasswordIdentity || !rec.Verified {
			return Registration{Err: domain.E("session.verification_failed")}
		}
		if err := checkUsername(sie, rec.Identifier.Value, in.UsernameTaken); err != nil {
			return Registration{Err: err}
		}
		name, digest := rec.Identifier.Value, rec.PasswordDigest
		staged := &ProfileStaged{Username: &name, PasswordDigest: &digest}
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
	if profile.Username != nil && in.UsernameTaken {
		out.Err = domain.E("user.username_already_in_use")
		return out
	}
	out.User = &user.Registered{
		UserID: in.NewUserID, Username: deref(profile.Username), PrimaryEmail: deref(profile.PrimaryEmail),
		PrimaryPhone: deref(profile.PrimaryPhone), PasswordDigest: deref(profile.PasswordDigest),
		Name: deref(profile.Name), Avatar: deref(profile.Avatar), Profile: profile.Profile,
		CustomData: profile.CustomData, CreatedAt: in.Now, InteractionID: in.InteractionID,
	}
	out.Interaction = append(out.Interaction, &UserRegistered{UserID: in.NewUserID})
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
