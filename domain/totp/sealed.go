package totp

import (
	"io"

	"github.com/authtrail/authtrail/domain/secretbox"
	"github.com/authtrail/authtrail/domain/user"
)

// aad binds a sealed secret to its user, so a box copied to another user's
// factor does not open.
func aad(userID string) string { return "totp:" + userID }

// Seal encrypts a user's new TOTP secret for the event log. Both APIs that
// enrol a TOTP seal it so, and either opens the other's.
func Seal(keys *secretbox.Keyring, userID, secret string, r io.Reader) (user.Sealed, error) {
	sealed, err := keys.Seal([]byte(secret), aad(userID), r)
	return user.Sealed{KeyID: sealed.KeyID, Box: sealed.Box}, err
}

// Open decrypts a user's sealed TOTP secret; ok is false when there is none
// or it does not open.
func Open(keys *secretbox.Keyring, userID string, sealed *user.Sealed) (secret string, ok bool) {
	if sealed == nil {
		return "", false
	}
	plain, err := keys.Open(secretbox.Sealed{KeyID: sealed.KeyID, Box: sealed.Box}, aad(userID))
	return string(plain), err == nil
}
