package mfaapi

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/user"
)

// VerificationAggregate names verifications in subjects: events.mfaver.<uuid>.
const VerificationAggregate = "mfaver"

// VerificationStarted opens a challenge of one device.
type VerificationStarted struct {
	VerificationID  string    `json:"verificationId"`
	UserID          string    `json:"userId"`
	DeviceID        string    `json:"deviceId"`
	FactorID        string    `json:"factorId"`
	Kind            string    `json:"kind,omitempty"` // empty in logs before SMS and Email: totp
	UserDisplayName string    `json:"userDisplayName"`
	TypeDisplayName string    `json:"typeDisplayName"`
	AuthFactorName  string    `json:"authFactorName"`
	CreatedAt       time.Time `json:"createdAt"`
	ExpiresAt       time.Time `json:"expiresAt"`
}

// VerificationOTPFailed counts a wrong code.
type VerificationOTPFailed struct {
	At time.Time `json:"at"`
}

// VerificationAccepted completes it; Via is "totp", "code" or "mfa_token".
type VerificationAccepted struct {
	Via string    `json:"via"`
	At  time.Time `json:"at"`
}

// VerificationRejected ends it after MaxFailures wrong codes.
type VerificationRejected struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

func (VerificationStarted) EventType() string   { return "mfa.verification.started" }
func (VerificationOTPFailed) EventType() string { return "mfa.verification.otp_failed" }
func (VerificationAccepted) EventType() string  { return "mfa.verification.accepted" }
func (VerificationRejected) EventType() string  { return "mfa.verification.rejected" }
func (VerificationOTPFailed) RecordsFailure()   {}
func (VerificationRejected) RecordsFailure()    {}

// VerificationEvents decodes stored verification events.
var VerificationEvents = withCodeEvents(domain.Registry{
	"mfa.verification.started":    func() domain.Event { return &VerificationStarted{} },
	"mfa.verification.otp_failed": func() domain.Event { return &VerificationOTPFailed{} },
	"mfa.verification.accepted":   func() domain.Event { return &VerificationAccepted{} },
	"mfa.verification.rejected":   func() domain.Event { return &VerificationRejected{} },
})

// Verification is a verification as of its last event.
type Verification struct {
	VerificationStarted
	Exists   bool
	Failures int
	Accepted bool
	Rejected bool
	Code     *CodeRequested // SMS and Email: the code sent
}

// FoldVerification rebuilds a verification from its events.
func FoldVerification(events []domain.Event) Verification {
	var v Verification
	for _, ev := range events {
		switch e := ev.(type) {
		case *VerificationStarted:
			v = Verification{VerificationStarted: *e, Exists: true}
		case *CodeRequested:
			c := *e
			v.Code = &c
		case *VerificationOTPFailed:
			v.Failures++
		case *VerificationAccepted:
			v.Accepted = true
		case *VerificationRejected:
			v.Rejected = true
		}
	}
	return v
}

// Status is the wire status at now. A pending verification whose device
// was removed since (cancelled) or whose window closed answers rejected.
func (v Verification) Status(now time.Time, deviceActive bool) string {
	switch {
	case v.Accepted:
		return StatusAccepted
	case v.Rejected || !deviceActive || !now.Before(v.ExpiresAt):
		return StatusRejected
	}
	return StatusPending
}

// StartVerification decides POST /verifications for one of the user's
// devices: ErrNotFound when the device is not the user's. The caller sends
// the code of an SMS or Email device (the returned Device says where).
func StartVerification(id string, factors []Factor, u *user.State, deviceID string, expiresIn int64, now time.Time) (*VerificationStarted, Device, error) {
	d, ok := FindDevice(factors, u, deviceID)
	if !ok {
		return nil, Device{}, ErrNotFound
	}
	return &VerificationStarted{
		VerificationID: id, UserID: u.ID, DeviceID: d.DeviceID, FactorID: d.FactorID, Kind: d.Kind,
		UserDisplayName: d.UserDisplayName, TypeDisplayName: d.TypeDisplayName, AuthFactorName: d.AuthFactorName,
		CreatedAt: now, ExpiresAt: now.Add(time.Duration(expiresIn) * time.Second),
	}, d, nil
}

// Check is what the caller found out about a submitted code; the secrets
// stay with the caller.
type Check struct {
	TotpMatched  bool   // the code is the device's TOTP at TotpStep
	TotpStep     uint64 //
	TokenMatched bool   // the code is the user's temporary token
	CodeMatched  bool   // the code is the one sent (SMS, Email)
	// UseID is the request's own id, drawn once per request: the use it
	// claims carries it, so the request decided again after its claim
	// committed finds that use its own (docs/architecture.md, Claims).
	UseID string
}

// Outcome is the decision on a submitted code.
type Outcome struct {
	Verification []domain.Event
	User         []domain.Event
	Status       string
}

// Verify decides PUT /verifications/{id}. The code sent to an SMS or
// Email device counts once (an accepted verification is terminal). A TOTP counts only for a step
// after the factor's last used one (RFC 6238 §5.2), and is recorded as
// user.mfa.totp_used; the temporary token counts while usable and a
// single-use one is consumed. Those uses are claims on the user, committed
// ahead of the acceptance (Outcome.User); a use claimed by c.UseID is this
// request's own and is not claimed again.
func Verify(v Verification, u *user.State, tok user.TempToken, c Check, now time.Time) (Outcome, error) {
	if !v.Exists || u == nil || v.UserID != u.ID {
		return Outcome{}, ErrNotFound
	}
	factor, active := factorByID(u, v.FactorID)
	if v.Status(now, active) != StatusPending {
		return Outcome{}, ErrForbidden
	}
	accept := func(via string, userEvents ...domain.Event) Outcome {
		return Outcome{Verification: []domain.Event{&VerificationAccepted{Via: via, At: now}}, User: userEvents, Status: StatusAccepted}
	}
	switch {
	case c.CodeMatched && v.Code != nil:
		return accept("code"), nil
	case c.TotpMatched && factor.ClaimedBy(c.UseID) && c.TotpStep == factor.LastStep:
		return accept("totp"), nil
	case c.TotpMatched && c.TotpStep > factor.LastStep:
		return accept("totp", &user.TotpStepUsed{FactorID: factor.ID, Step: c.TotpStep, At: now, UseID: c.UseID}), nil
	case c.TokenMatched && tok.Usable(now) && tok.Reusable, c.TokenMatched && tok.ClaimedBy(c.UseID) && now.Before(tok.ExpiresAt):
		return accept("mfa_token"), nil
	case c.TokenMatched && tok.Usable(now):
		return accept("mfa_token", &user.TempTokenUsed{TokenID: tok.TokenID, VerificationID: v.VerificationID, At: now, UseID: c.UseID}), nil
	}
	out := Outcome{Verification: []domain.Event{&VerificationOTPFailed{At: now}}, Status: StatusPending}
	if v.Failures+1 >= MaxFailures {
		out.Verification = append(out.Verification, &VerificationRejected{Reason: "too_many_failures", At: now})
		out.Status = StatusRejected
	}
	return out, nil
}

func factorByID(u *user.State, id string) (user.Factor, bool) {
	for _, f := range u.Factors {
		if f.ID == id {
			return f, true
		}
	}
	return user.Factor{}, false
}
