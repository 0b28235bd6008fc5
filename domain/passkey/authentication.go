package passkey

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// AuthResult is the outcome of a verified assertion.
type AuthResult struct {
	CredentialID []byte
	// SignCount is the counter to store: the asserted one, or the stored one
	// when the counter did not advance, so a clone keeps being detected.
	SignCount uint32
	// CloneWarning: the counter did not advance although the authenticator
	// or the stored record uses counters (W3C §7.2 step 21). A signal for
	// risk policy, not an error.
	CloneWarning bool
	UserVerified bool
	BackupState  bool // W3C asks the RP to store the new backup state
}

// BeginAuthentication returns Logto's authenticationOptions (docs/experience.md, WebAuthn)
// for the user's credentials and the Session to store.
func (rp *RP) BeginAuthentication(u User, creds []Credential, now time.Time) (json.RawMessage, Session, error) {
	if err := checkUserID(u.ID); err != nil {
		return nil, Session{}, err
	}
	if len(creds) == 0 {
		return nil, Session{}, ErrNoCredentials
	}
	challenge, err := protocol.CreateChallenge()
	if err != nil {
		return nil, Session{}, fmt.Errorf("passkey: challenge: %w", err)
	}
	opts := AuthenticationOptions{
		Challenge:        challenge.String(),
		AllowCredentials: descriptors(creds),
		Timeout:          rp.cfg.Timeout.Milliseconds(),
		UserVerification: uvRequired,
		RPID:             rp.cfg.RPID,
	}
	raw, err := json.Marshal(opts)
	if err != nil {
		return nil, Session{}, fmt.Errorf("passkey: encode options: %w", err)
	}
	allowed := make([][]byte, len(creds))
	for i, c := range creds {
		allowed[i] = slices.Clone(c.ID)
	}
	return raw, Session{
		Challenge:            opts.Challenge,
		UserID:               u.ID,
		RPID:                 rp.cfg.RPID,
		AllowedCredentialIDs: allowed,
		Expires:              now.Add(SessionTTL),
		UserVerification:     uvRequired,
	}, nil
}

// FinishAuthentication verifies an assertion payload (Logto's
// WebAuthnVerificationPayload) for user u against s and the user's current
// credentials: the credential must be allowed and owned, and the
// challenge, origin, rpIdHash, UP/UV flags, backup flags and signature must
// check out.
func (rp *RP) FinishAuthentication(s Session, u User, creds []Credential, payload json.RawMessage, now time.Time) (AuthResult, error) {
	if err := rp.checkSession(s, now); err != nil {
		return AuthResult{}, err
	}
	if s.UserID != u.ID {
		return AuthResult{}, verificationFailed("session belongs to another user")
	}
	body, err := toW3C(payload)
	if err != nil {
		return AuthResult{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return AuthResult{}, fromLibrary(err, s.Challenge)
	}
	if !containsID(s.AllowedCredentialIDs, parsed.RawID) {
		return AuthResult{}, unknownCredential("the credential was not offered in this ceremony")
	}
	owned := make([]webauthn.Credential, 0, len(creds))
	for _, c := range creds {
		owned = append(owned, toLibCredential(c))
	}
	if !slices.ContainsFunc(owned, func(c webauthn.Credential) bool { return bytes.Equal(c.ID, parsed.RawID) }) {
		return AuthResult{}, unknownCredential("the credential is not registered to this user")
	}

	sd := rp.librarySession(s, false)
	// go-webauthn insists the user still owns every allowed credential; one
	// removed since Begin must not spoil a ceremony with another.
	sd.AllowedCredentialIDs = slices.DeleteFunc(slices.Clone(sd.AllowedCredentialIDs), func(id []byte) bool {
		return !slices.ContainsFunc(owned, func(c webauthn.Credential) bool { return bytes.Equal(c.ID, id) })
	})
	user := libUser{id: []byte(u.ID), name: u.Name, creds: owned}
	cred, err := rp.lib.ValidateLogin(user, sd, parsed)
	if err != nil {
		return AuthResult{}, fromLibrary(err, s.Challenge)
	}
	return AuthResult{
		CredentialID: slices.Clone(cred.ID),
		SignCount:    cred.Authenticator.SignCount,
		CloneWarning: cred.Authenticator.CloneWarning,
		UserVerified: parsed.Response.AuthenticatorData.Flags.HasUserVerified(),
		BackupState:  cred.Flags.BackupState,
	}, nil
}

func containsID(ids [][]byte, id []byte) bool {
	return slices.ContainsFunc(ids, func(x []byte) bool { return bytes.Equal(x, id) })
}
