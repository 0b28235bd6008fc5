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
	return bind(s, u, rec.Base().ID)
}

// bind identifies u, unless suspended or another user is identified.
func bind(s State, u *user.State, verificationID string) ([]domain.Event, error) {
	if u.Suspended {
		return nil, domain.E("user.suspended")
	}
	if s.Identified() {
		if s.UserID == u.ID {
			return nil, nil
		}
		return nil, domain.E("session.identity_conflict")
	}
	return []domain.Event{&Identified{UserID: u.ID, VerificationID: verificationID}}, nil
}

// Related is an existing user whose email or phone a provider verified for
// an identity no user has linked yet.
type Related struct {
	User *user.State
	Type string // "email" | "phone"
	// Value is the email or phone the provider gave.
	Value string
}

// FederatedInput holds the facts a federated identification decides on.
type FederatedInput struct {
	VerificationID string
	// Owner is the user the record's identity is linked to (nil: none).
	Owner *user.State
	// Related is the user the provider's verified email or phone names,
	// when no user owns the identity (nil: none).
	Related *Related
	// Link asks to link a social identity to Related (linkSocialIdentity).
	Link bool
}

// IdentifyFederated binds a SignIn interaction to the user of a social or
// SSO identity (docs/experience.md, Identification): its owner; else, for
// SSO, the user with the verified email, with the identity staged to link
// at submit; else, for social, the related user only when asked to link.
func IdentifyFederated(s State, sie *settings.SignInExperience, in FederatedInput) ([]domain.Event, error) {
	rec, ok := s.Record(in.VerificationID)
	if !ok {
		return nil, domain.E("session.verification_session_not_found")
	}
	f, ok := rec.(Federated)
	if !ok {
		return IdentifyExisting(s, sie, in.VerificationID, in.Owner)
	}
	if err := methodGate(s.Event, sie, rec); err != nil {
		return nil, err
	}
	if !rec.Base().Verified {
		return nil, domain.E("session.verification_failed")
	}
	if in.Owner != nil && in.Owner.Exists {
		events, err := bind(s, in.Owner, rec.Base().ID)
		if err != nil || len(events) == 0 {
			return events, err
		}
		if sync := synced(rec); sync != nil {
			events = append(events, sync)
		}
		return events, nil
	}
	id := f.FederatedIdentity()
	sso := id.Kind == user.KindSSO
	if in.Related == nil || !sso && !in.Link {
		if sso {
			return nil, domain.E("user.sso_identity_not_exist")
		}
		err := domain.E("user.identity_not_exist")
		if in.Related != nil {
			err = err.WithData(map[string]any{"relatedUser": map[string]string{"type": in.Related.Type, "value": in.Related.Value}})
		}
		return nil, err
	}
	events, err := bind(s, in.Related.User, rec.Base().ID)
	if err != nil {
		return nil, err
	}
	staged := &ProfileStaged{Identity: &id}
	if sync := synced(rec); sync != nil {
		staged.Name, staged.Avatar = sync.Name, sync.Avatar
	}
	return append(events, staged), nil
}

// synced stages the name and avatar a record's connector syncs at each
// sign-in (syncProfile: its Profile carries them only then), or nil.
func synced(rec Record) *ProfileStaged {
	src, ok := rec.(ProfileSource)
	if !ok {
		return nil
	}
	p := src.Profile()
	if p.Name == nil && p.Avatar == nil {
		return nil
	}
	return &ProfileStaged{Name: p.Name, Avatar: p.Avatar}
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
	// Linked links the identity the user registered with, when it did.
	Linked *user.IdentityLinked
	Err    error
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
		if staged.Offered {
			staged = withoutTaken(staged, in.Taken)
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
	if missing := MissingProfile(sie, nil, &profile, true); len(missing) > 0 && !profileExempt(s, sie, &profile) {
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
	if profile.Identity != nil {
		out.Linked = &user.IdentityLinked{Identity: *profile.Identity, InteractionID: in.InteractionID}
	}
	out.Interaction = append(out.Interaction, &UserRegistered{UserID: created.UserID})
	return out
}

// withoutTaken drops the offered email and phone another user owns.
func withoutTaken(p *ProfileStaged, taken map[string]bool) *ProfileStaged {
	out := *p
	if taken[user.KindEmail] {
		out.PrimaryEmail = nil
	}
	if taken[user.KindPhone] {
		out.PrimaryPhone = nil
	}
	return &out
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
	case p.Identity != nil && taken[p.Identity.Kind]:
		return domain.E("user.identity_already_in_use")
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
