package mfaapi

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/user"
)

// RegistrationAggregate names registrations in subjects: events.mfareg.<uuid>.
const RegistrationAggregate = "mfareg"

// RegistrationStarted opens an enrolment. The TOTP secret travels sealed
// (aad "totp:"+userID, the Experience API's binding), never in clear; an
// SMS or Email registration names the destination taken from the profile.
type RegistrationStarted struct {
	RegistrationID  string       `json:"registrationId"`
	UserID          string       `json:"userId"`
	FactorConfigID  int          `json:"factorConfigId"`
	Kind            string       `json:"kind"`
	FactorID        string       `json:"factorId"` // the user factor it becomes
	DisplayName     string       `json:"displayName"`
	TypeDisplayName string       `json:"typeDisplayName"`
	AuthFactorName  string       `json:"authFactorName"`
	Secret          *user.Sealed `json:"secret,omitempty"`
	Destination     string       `json:"destination,omitempty"`
	CreatedAt       time.Time    `json:"createdAt"`
	ExpiresAt       time.Time    `json:"expiresAt"`
}

// RegistrationOTPFailed counts a wrong code.
type RegistrationOTPFailed struct {
	At time.Time `json:"at"`
}

// RegistrationAccepted completes the enrolment; the user's
// user.mfa.factor_added is appended in the same transaction.
type RegistrationAccepted struct {
	At time.Time `json:"at"`
}

// RegistrationRejected ends it after MaxFailures wrong codes.
type RegistrationRejected struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

func (RegistrationStarted) EventType() string   { return "mfa.registration.started" }
func (RegistrationOTPFailed) EventType() string { return "mfa.registration.otp_failed" }
func (RegistrationAccepted) EventType() string  { return "mfa.registration.accepted" }
func (RegistrationRejected) EventType() string  { return "mfa.registration.rejected" }
func (RegistrationOTPFailed) RecordsFailure()   {}
func (RegistrationRejected) RecordsFailure()    {}

// RegistrationEvents decodes stored registration events.
var RegistrationEvents = withCodeEvents(domain.Registry{
	"mfa.registration.started":    func() domain.Event { return &RegistrationStarted{} },
	"mfa.registration.otp_failed": func() domain.Event { return &RegistrationOTPFailed{} },
	"mfa.registration.accepted":   func() domain.Event { return &RegistrationAccepted{} },
	"mfa.registration.rejected":   func() domain.Event { return &RegistrationRejected{} },
})

// Registration is a registration as of its last event.
type Registration struct {
	RegistrationStarted
	Exists   bool
	Failures int
	Accepted bool
	Rejected bool
	Code     *CodeRequested // SMS and Email: the code sent
}

// FoldRegistration rebuilds a registration from its events.
func FoldRegistration(events []domain.Event) Registration {
	var r Registration
	for _, ev := range events {
		switch e := ev.(type) {
		case *RegistrationStarted:
			r = Registration{RegistrationStarted: *e, Exists: true}
		case *CodeRequested:
			c := *e
			r.Code = &c
		case *RegistrationOTPFailed:
			r.Failures++
		case *RegistrationAccepted:
			r.Accepted = true
		case *RegistrationRejected:
			r.Rejected = true
		}
	}
	return r
}

// Status is the wire status at now: an expired registration never accepted
// answers rejected.
func (r Registration) Status(now time.Time) string {
	switch {
	case r.Accepted:
		return StatusAccepted
	case r.Rejected || !now.Before(r.ExpiresAt):
		return StatusRejected
	}
	return StatusPending
}

// DeviceID is the device the registration creates.
func (r Registration) DeviceID() string { return user.DeviceID(r.FactorID) }

// StartRegistration is the input of POST /registrations.
type StartRegistration struct {
	RegistrationID string
	FactorID       string // new user factor id
	User           *user.State
	Factors        []Factor
	FactorConfigID int64
	DisplayName    string
	ExpiresIn      int64
	Verified       bool
	Secret         *user.Sealed
	Now            time.Time
}

// Start decides a registration: InvalidParams for an unknown or unavailable
// factor (an SMS or Email factor of a user without a phone or email is
// unavailable), or verified=true on a TOTP factor (docs/onelogin-api.md, Registrations).
func Start(in StartRegistration) (*RegistrationStarted, error) {
	var factor *Factor
	for _, f := range Available(in.Factors, in.User) {
		if int64(f.ID) == in.FactorConfigID {
			factor = &f
		}
	}
	if factor == nil {
		return nil, InvalidParams{"factor_id"}
	}
	if in.Verified && factor.Kind == KindTotp {
		return nil, InvalidParams{"verified"}
	}
	destination := Destination(factor.Kind, in.User) // never "" for SMS and Email: see Available
	secret := in.Secret
	if factor.Kind != KindTotp {
		secret = nil
	}
	return &RegistrationStarted{
		RegistrationID: in.RegistrationID, UserID: in.User.ID, FactorConfigID: factor.ID, Kind: factor.Kind,
		FactorID: in.FactorID, DisplayName: in.DisplayName, TypeDisplayName: factor.Name,
		AuthFactorName: factor.AuthFactorName, Secret: secret, Destination: destination, CreatedAt: in.Now,
		ExpiresAt: in.Now.Add(time.Duration(in.ExpiresIn) * time.Second),
	}, nil
}

// Confirmation is the outcome of PUT /registrations/{id}.
type Confirmation struct {
	Registration []domain.Event
	User         []domain.Event
	Status       string
}

// Confirm decides a submitted code: matched is whether it is the TOTP of
// the sealed secret at step, or the code sent (SMS, Email). The user must
// still have no device of the kind (one per user); a registration that is
// expired, rejected or accepted refuses with ErrForbidden.
func Confirm(r Registration, u *user.State, matched bool, step uint64, now time.Time) (Confirmation, error) {
	if !r.Exists || u == nil || r.UserID != u.ID {
		return Confirmation{}, ErrNotFound
	}
	if r.Status(now) != StatusPending {
		return Confirmation{}, ErrForbidden
	}
	if _, has := u.Factor(FactorType(r.Kind)); has {
		return Confirmation{}, ErrForbidden
	}
	if !matched {
		out := Confirmation{Registration: []domain.Event{&RegistrationOTPFailed{At: now}}, Status: StatusPending}
		if r.Failures+1 >= MaxFailures {
			out.Registration = append(out.Registration, &RegistrationRejected{Reason: "too_many_failures", At: now})
			out.Status = StatusRejected
		}
		return out, nil
	}
	return accept(r.RegistrationStarted, u, step, now), nil
}

// AcceptVerified completes a registration started with verified=true (SMS,
// Email): accepted at once, no code sent (docs/onelogin-api.md, Registrations).
func AcceptVerified(r RegistrationStarted, u *user.State, now time.Time) Confirmation {
	return accept(r, u, 0, now)
}

func accept(r RegistrationStarted, u *user.State, step uint64, now time.Time) Confirmation {
	factor := user.Factor{ID: r.FactorID, Type: FactorType(r.Kind), CreatedAt: now, Secret: r.Secret, LastStep: step,
		Name: r.DisplayName, Destination: r.Destination}
	userEvents := []domain.Event{&user.MFAFactorAdded{Factor: factor, Source: "mfa-api"}}
	if u.MFA.Enabled == nil || !*u.MFA.Enabled {
		// Binding a factor turns MFA on, as a binding at Experience API
		// submit does; otherwise sign-in would not ask for it.
		on := true
		userEvents = append(userEvents, &user.MFAConfigUpdated{Enabled: &on})
	}
	return Confirmation{
		Registration: []domain.Event{&RegistrationAccepted{At: now}},
		User:         userEvents,
		Status:       StatusAccepted,
	}
}
