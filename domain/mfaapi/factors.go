// Package mfaapi is the pure core of the OneLogin-compatible MFA API: the
// factor catalogue, the user's devices, and the registration and
// verification aggregates (events.mfareg.<uuid>, events.mfaver.<uuid>) with
// their decide and apply functions. It does no I/O: time, ids, randomness
// and the outcome of secret checks are inputs.
package mfaapi

import (
	"strings"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/user"
)

// Factor kinds of the config's mfaApi.factors.
const (
	KindTotp  = "totp"
	KindSMS   = "sms"
	KindEmail = "email"
)

// MaxFailures is how many wrong OTPs a registration or verification takes;
// the last one rejects it.
const MaxFailures = 5

// Statuses on the wire.
const (
	StatusPending  = "pending"
	StatusAccepted = "accepted"
	StatusRejected = "rejected"
)

var (
	// ErrNotFound: an unknown or foreign registration, verification or
	// device (404 NotFound). Compare with errors.Is.
	ErrNotFound = domain.E("onelogin.resource_not_found")
	// ErrForbidden: the resource's state refuses the action (expired,
	// rejected, already accepted, device removed): 403 ForbiddenAction.
	ErrForbidden = domain.E("onelogin.forbidden_action")
)

// InvalidParams is a well-formed request with invalid values: the names of
// the offending parameters. It is the registry's 422 ValidationError.
type InvalidParams []string

func (p InvalidParams) Error() string { return "mfaapi: invalid parameters: " + strings.Join(p, ", ") }

// Refusal is the 422 ValidationError naming the parameters.
func (p InvalidParams) Refusal() *domain.Error {
	params := domain.Parameters(p)
	if params == nil {
		params = domain.Parameters{}
	}
	return domain.E("onelogin.validation_failed").WithData(params)
}

// Unwrap makes an InvalidParams a business error (domain.AsError finds its
// refusal).
func (p InvalidParams) Unwrap() error { return p.Refusal() }

// Factor is an admin-configured factor (config mfaApi.factors).
type Factor struct {
	ID             int
	Name           string
	AuthFactorName string
	Kind           string
}

// Supported reports whether this build can enrol and verify the factor's
// kind: TOTP, and SMS and Email with server-sent codes.
func (f Factor) Supported() bool {
	return f.Kind == KindTotp || f.Kind == KindSMS || f.Kind == KindEmail
}

// FactorType is the user factor type a kind becomes; no kind is TOTP
// (registrations logged before SMS and Email).
func FactorType(kind string) string {
	switch kind {
	case KindSMS:
		return user.FactorPhone
	case KindEmail:
		return user.FactorEmail
	case KindTotp, "":
		return user.FactorTotp
	}
	return ""
}

// defaults are OneLogin's names of each kind, for a device whose factor is
// not configured (e.g. a TOTP bound through the Experience API).
var defaults = map[string]Factor{
	KindTotp:  {Name: "Authenticator", AuthFactorName: "Google Authenticator", Kind: KindTotp},
	KindSMS:   {Name: "OneLogin SMS", AuthFactorName: "SMS", Kind: KindSMS},
	KindEmail: {Name: "OneLogin Email", AuthFactorName: "OneLogin Email", Kind: KindEmail},
}

// FactorOfKind is the configured factor of a kind, or OneLogin's defaults.
func FactorOfKind(factors []Factor, kind string) Factor {
	for _, f := range factors {
		if f.Kind == kind {
			return f
		}
	}
	return defaults[kind]
}

// TotpFactor is the configured TOTP factor, or the OneLogin defaults
// ("Authenticator", "Google Authenticator") when none is configured, so that
// a TOTP bound through the Experience API is still described.
func TotpFactor(factors []Factor) Factor { return FactorOfKind(factors, KindTotp) }

// Destination is where a code of the kind goes for the user: the profile's
// primary phone (SMS) or email (Email); "" when the user has none.
func Destination(kind string, u *user.State) string {
	switch kind {
	case KindSMS:
		return u.PrimaryPhone
	case KindEmail:
		return u.PrimaryEmail
	}
	return ""
}

// Available are the supported configured factors the user may enrol: those
// of a kind the user does not have yet (one device of each kind per user),
// and SMS or Email only with a phone or email in the profile to send to.
func Available(factors []Factor, u *user.State) []Factor {
	out := []Factor{}
	for _, f := range factors {
		if !f.Supported() {
			continue
		}
		if _, has := u.Factor(FactorType(f.Kind)); has {
			continue
		}
		if f.Kind != KindTotp && Destination(f.Kind, u) == "" {
			continue
		}
		out = append(out, f)
	}
	return out
}

// Device is an enrolled factor verifiable by OTP.
type Device struct {
	DeviceID        string
	FactorID        string
	Kind            string
	Destination     string // SMS and Email: where codes go
	UserDisplayName string
	TypeDisplayName string
	AuthFactorName  string
	Default         bool
}

// kinds maps the user factor types listed as devices to their kinds.
var kinds = map[string]string{user.FactorTotp: KindTotp, user.FactorPhone: KindSMS, user.FactorEmail: KindEmail}

// Devices are the user's TOTP, SMS and Email factors as devices, oldest
// first. The oldest is the default (docs/onelogin-api.md, Factors and
// devices: the first accepted device is
// the default, and deleting it promotes the oldest remaining one). WebAuthn
// and backup codes are not verifiable by OTP and are left out, as are the
// Experience API's implicit email and phone factors (the profile's).
func Devices(factors []Factor, u *user.State) []Device {
	out := []Device{}
	for _, f := range u.Factors {
		kind, ok := kinds[f.Type]
		if !ok {
			continue
		}
		conf := FactorOfKind(factors, kind)
		name := f.Name
		if name == "" {
			name = conf.Name
		}
		out = append(out, Device{DeviceID: user.DeviceID(f.ID), FactorID: f.ID, Kind: kind, Destination: f.Destination,
			UserDisplayName: name, TypeDisplayName: conf.Name, AuthFactorName: conf.AuthFactorName, Default: len(out) == 0})
	}
	return out
}

// FindDevice finds one of the user's devices by its device id.
func FindDevice(factors []Factor, u *user.State, deviceID string) (Device, bool) {
	for _, d := range Devices(factors, u) {
		if d.DeviceID == deviceID {
			return d, true
		}
	}
	return Device{}, false
}

// TempDeviceID is the device id of the user's temporary token.
func TempDeviceID(userID string) string { return "user_temp_otp_" + userID }
