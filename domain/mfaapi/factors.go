// Package mfaapi is the pure core of the OneLogin-compatible MFA API: the
// factor catalogue, the user's devices, and the registration and
// verification aggregates (events.mfareg.<uuid>, events.mfaver.<uuid>) with
// their decide and apply functions. It does no I/O: time, ids, randomness
// and the outcome of secret checks are inputs.
package mfaapi

import (
	"errors"
	"strings"

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
	// ErrNotFound: an unknown or foreign registration, verification or device.
	ErrNotFound = errors.New("mfaapi: not found")
	// ErrForbidden: the resource's state refuses the action (expired,
	// rejected, already accepted, device removed).
	ErrForbidden = errors.New("mfaapi: forbidden action")
)

// InvalidParams is a well-formed request with invalid values: the names of
// the offending parameters.
type InvalidParams []string

func (p InvalidParams) Error() string { return "mfaapi: invalid parameters: " + strings.Join(p, ", ") }

// Factor is an admin-configured factor (config mfaApi.factors).
type Factor struct {
	ID             int
	Name           string
	AuthFactorName string
	Kind           string
}

// Supported reports whether this build can enrol and verify the factor's
// kind (only TOTP so far).
func (f Factor) Supported() bool { return f.Kind == KindTotp }

// TotpFactor is the configured TOTP factor, or the OneLogin defaults
// ("Authenticator", "Google Authenticator") when none is configured, so that
// a TOTP bound through the Experience API is still described.
func TotpFactor(factors []Factor) Factor {
	for _, f := range factors {
		if f.Kind == KindTotp {
			return f
		}
	}
	return Factor{Name: "Authenticator", AuthFactorName: "Google Authenticator", Kind: KindTotp}
}

// Available are the supported configured factors the user may enrol: those
// of a kind the user does not have yet (one TOTP per user).
func Available(factors []Factor, u *user.State) []Factor {
	out := []Factor{}
	for _, f := range factors {
		if !f.Supported() {
			continue
		}
		if _, has := u.Factor(user.FactorTotp); has && f.Kind == KindTotp {
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
	UserDisplayName string
	TypeDisplayName string
	AuthFactorName  string
	Default         bool
}

// Devices are the user's TOTP factors as devices, oldest first. The oldest
// is the default (spec §4.6: the first accepted device is the default, and
// deleting it promotes the oldest remaining one). WebAuthn and backup codes
// are not verifiable by OTP and are left out.
func Devices(factors []Factor, u *user.State) []Device {
	totp := TotpFactor(factors)
	out := []Device{}
	for _, f := range u.Factors {
		if f.Type != user.FactorTotp {
			continue
		}
		name := f.Name
		if name == "" {
			name = totp.Name
		}
		out = append(out, Device{DeviceID: user.DeviceID(f.ID), FactorID: f.ID, UserDisplayName: name,
			TypeDisplayName: totp.Name, AuthFactorName: totp.AuthFactorName, Default: len(out) == 0})
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
