package passkey

import (
	"errors"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
)

var (
	// ErrExpired: the session is past its Expires (Logto's pending-info
	// errors cover the same ground); the caller should begin again.
	ErrExpired = errors.New("passkey: session expired")
	// ErrNoCredentials: the user has nothing to authenticate with
	// (session.mfa.webauthn_verification_not_found).
	ErrNoCredentials = errors.New("passkey: user has no WebAuthn credentials")
	// ErrUnknownCredential: the assertion names a credential the user does
	// not own or the session did not allow. It also matches ErrVerification,
	// because Logto answers both with webauthn_verification_failed.
	ErrUnknownCredential = errors.New("passkey: unknown credential")
	// ErrVerification: the payload failed a WebAuthn check (origin, rpId,
	// challenge, signature, user verification, malformed data).
	ErrVerification = errors.New("passkey: verification failed")
)

// VerificationError says why a payload was rejected. Reason is safe to show
// the client (Logto puts the library's message in data.message); it never
// contains the expected challenge.
type VerificationError struct {
	Reason  string
	Unknown bool // the credential is not one of the user's
}

func (e *VerificationError) Error() string {
	return ErrVerification.Error() + ": " + e.Reason
}

// Is lets errors.Is match ErrVerification, and ErrUnknownCredential when
// the credential was unknown.
func (e *VerificationError) Is(target error) bool {
	return target == ErrVerification || (e.Unknown && target == ErrUnknownCredential)
}

func verificationFailed(reason string) error {
	return &VerificationError{Reason: reason}
}

func unknownCredential(reason string) error {
	return &VerificationError{Reason: reason, Unknown: true}
}

// fromLibrary turns a go-webauthn error into a VerificationError. The
// library splits its message into Details and DevInfo; both are kept, as
// the generic Details alone ("Error validating the authenticator
// response") hides which check failed, but the expected challenge is cut
// out of DevInfo so the client never learns it.
func fromLibrary(err error, challenge string) error {
	var unknown *protocol.ErrorUnknownCredential
	if errors.As(err, &unknown) {
		return unknownCredential(unknown.Err.Details)
	}
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Details == "" {
		return verificationFailed(err.Error())
	}
	reason := pe.Details
	// DevInfo may span lines; a reason is one line.
	if info := strings.Join(strings.Fields(pe.DevInfo), " "); info != "" {
		if challenge != "" {
			info = strings.ReplaceAll(info, challenge, "[challenge]")
		}
		reason += ": " + info
	}
	return verificationFailed(reason)
}
