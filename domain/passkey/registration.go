package passkey

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// BeginRegistration returns Logto's registrationOptions (docs/experience.md, WebAuthn)
// and the Session to store. existing are the user's credentials, sent as
// excludeCredentials so an authenticator is not registered twice.
func (rp *RP) BeginRegistration(u User, existing []Credential, now time.Time) (json.RawMessage, Session, error) {
	if err := checkUserID(u.ID); err != nil {
		return nil, Session{}, err
	}
	challenge, err := protocol.CreateChallenge()
	if err != nil {
		return nil, Session{}, fmt.Errorf("passkey: challenge: %w", err)
	}
	name, displayName := userDisplay(u)
	opts := RegistrationOptions{
		RP:               RPEntity{Name: rp.cfg.RPName, ID: rp.cfg.RPID},
		User:             UserEntity{ID: encodeUserID(u.ID), Name: name, DisplayName: displayName},
		Challenge:        challenge.String(),
		PubKeyCredParams: supportedAlgorithms,
		Timeout:          rp.cfg.Timeout.Milliseconds(),
		Attestation:      string(protocol.PreferNoAttestation),
		// Always an array, never null: browsers reject null here.
		ExcludeCredentials: descriptors(existing),
		AuthenticatorSelection: AuthenticatorSelection{
			ResidentKey:        string(protocol.ResidentKeyRequirementRequired),
			RequireResidentKey: true,
			UserVerification:   uvRequired,
		},
		Extensions: RegistrationExtensions{CredProps: true},
	}
	raw, err := json.Marshal(opts)
	if err != nil {
		return nil, Session{}, fmt.Errorf("passkey: encode options: %w", err)
	}
	return raw, Session{
		Challenge:        opts.Challenge,
		UserID:           u.ID,
		RPID:             rp.cfg.RPID,
		Expires:          now.Add(SessionTTL),
		UserVerification: uvRequired,
	}, nil
}

// FinishRegistration verifies an attestation payload (Logto's
// BindWebAuthnPayload) against s: challenge, origin, rpIdHash, user
// presence and verification, the key algorithm and the attestation
// statement. It returns the credential to store for s.UserID (the caller
// checks that this is the interaction's user, as Logto does); checking
// that its id is not already taken is also the caller's job (see
// CredentialIDString).
func (rp *RP) FinishRegistration(s Session, payload json.RawMessage, now time.Time) (Credential, error) {
	if err := rp.checkSession(s, now); err != nil {
		return Credential{}, err
	}
	body, err := toW3C(payload)
	if err != nil {
		return Credential{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return Credential{}, fromLibrary(err, s.Challenge)
	}
	user := libUser{id: []byte(s.UserID)}
	cred, err := rp.lib.CreateCredential(user, rp.librarySession(s, true), parsed)
	if err != nil {
		return Credential{}, fromLibrary(err, s.Challenge)
	}
	return fromLibCredential(cred), nil
}

// librarySession rebuilds go-webauthn's SessionData from ours. The fields
// not stored in Session (algorithms, requested extensions) are constants
// of this package, so nothing is lost. Expires stays zero because the
// library would compare it with the wall clock; checkSession uses the
// caller's now instead. User verification is always required,
// whatever the stored session says.
func (rp *RP) librarySession(s Session, registration bool) webauthn.SessionData {
	sd := webauthn.SessionData{
		Challenge:            s.Challenge,
		RelyingPartyID:       s.RPID,
		UserID:               []byte(s.UserID),
		AllowedCredentialIDs: s.AllowedCredentialIDs,
		UserVerification:     protocol.VerificationRequired,
	}
	if registration {
		sd.CredParams = libCredParams()
		sd.Extensions = protocol.SessionExtensions{Requested: []string{credPropsExtKey}}
	}
	return sd
}
