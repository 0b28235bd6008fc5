package webauthn

import (
	"encoding/json"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// Start stores a ceremony's session (docs/experience.md, WebAuthn); an authentication
// needs a credential to ask for.
func Start(s interaction.State, u *user.State, verificationID, ceremony string, session json.RawMessage) ([]domain.Event, error) {
	if err := interaction.RequireIdentified(s); err != nil {
		return nil, err
	}
	if ceremony == CeremonyAuthentication && len(u.WebAuthnFactors()) == 0 {
		return nil, domain.E("session.mfa.webauthn_verification_not_found")
	}
	return []domain.Event{&Challenged{VerificationID: verificationID, UserID: s.UserID, Ceremony: ceremony, Session: session}}, nil
}

// FinishRegistration verifies a registration record (docs/experience.md, WebAuthn); verify
// checks the payload against the stored session.
func FinishRegistration(s interaction.State, verificationID string, verify func(session json.RawMessage) (user.Factor, error)) ([]domain.Event, error) {
	if err := interaction.RequireIdentified(s); err != nil {
		return nil, err
	}
	rec, ok := interaction.UserRecord[Record](s, verificationID)
	if !ok {
		return nil, domain.E("session.verification_session_not_found")
	}
	if rec.Ceremony != CeremonyRegistration || rec.Session == nil {
		return nil, domain.E("session.mfa.pending_info_not_found")
	}
	cred, err := verify(rec.Session)
	if err != nil {
		return nil, domain.E("session.mfa.webauthn_verification_failed").WithData(map[string]any{"message": err.Error()})
	}
	return []domain.Event{&Registered{VerificationID: verificationID, Credential: cred}}, nil
}

// Assertion is a verified WebAuthn assertion.
type Assertion struct {
	CredentialID string
	SignCount    uint32
	CloneWarning bool
}

// FinishAuthentication verifies an authentication record (docs/experience.md, WebAuthn). The
// verification is recorded on the user alone, like a TOTP step
// (totp.VerifyExisting): the counter, claimed under useID, the request's
// own id, names the interaction (in) and the record, whose challenge the
// interaction then folds as consumed (Adopted), so the assertion is
// one-use. A counter that went backwards is recorded as a risk event, not
// silently passed. The same request decided again after its claim
// committed finds the counter claimed by itself and does not claim again.
func FinishAuthentication(s interaction.State, u *user.State, in user.UseIn, verificationID, useID string, verify func(session json.RawMessage) (Assertion, error), a interaction.Attempt) interaction.Outcome {
	if err := interaction.RequireIdentified(s); err != nil {
		return interaction.Outcome{Err: err}
	}
	for _, f := range u.WebAuthnFactors() {
		if f.ClaimedBy(useID) {
			// Decided again after its claim committed: the interaction has
			// folded it, and the challenge is this assertion's already.
			return interaction.SettleMFA(a, "WebAuthn", user.FactorWebAuthn, true, nil, func() interaction.Outcome { return interaction.Outcome{} })
		}
	}
	rec, ok := interaction.RecordOf[Record](s, verificationID)
	if !ok {
		return interaction.Outcome{Err: domain.E("session.verification_session_not_found")}
	}
	if rec.UserID != s.UserID {
		return interaction.Outcome{Err: domain.E("session.identity_conflict@webauthn")}
	}
	if rec.Ceremony != CeremonyAuthentication || rec.Session == nil {
		return interaction.Outcome{Err: domain.E("session.mfa.pending_info_not_found")}
	}
	got, err := verify(rec.Session)
	var factor user.Factor
	if err == nil {
		for _, f := range u.WebAuthnFactors() {
			if f.CredentialID == got.CredentialID {
				factor = f
			}
		}
	}
	return interaction.SettleMFA(a, "WebAuthn", user.FactorWebAuthn, err == nil && factor.ID != "", domain.E("session.mfa.webauthn_verification_failed"), func() interaction.Outcome {
		out := interaction.Outcome{User: []domain.Event{&user.WebAuthnUsed{FactorID: factor.ID, SignCount: got.SignCount, At: a.Now, UseID: useID,
			In: &in, VerificationID: verificationID}}}
		if got.CloneWarning {
			out.User = append(out.User, &user.WebAuthnCounterRegressed{FactorID: factor.ID, Stored: factor.SignCount, Received: got.SignCount, At: a.Now, UseID: useID})
		}
		return out
	})
}

// Adopted is the interaction's record event of an assertion recorded on
// the user alone (FinishAuthentication): its record verified, the
// challenge consumed.
func Adopted(use user.Use) *Authenticated {
	return &Authenticated{VerificationID: use.RecordID, FactorID: use.FactorID}
}

// Bind stages a registered credential for binding (docs/experience.md, MFA binding): WebAuthn
// as an MFA factor, or as a passkey when passkey sign-in is on.
func Bind(s interaction.State, sie *settings.SignInExperience, verificationID string) ([]domain.Event, error) {
	rec, ok := interaction.UserRecord[Record](s, verificationID)
	switch {
	case !ok:
		return nil, domain.E("session.verification_session_not_found")
	case !rec.Verified:
		return nil, domain.E("session.verification_failed")
	case rec.Credential == nil:
		return nil, domain.E("session.mfa.pending_info_not_found")
	case !interaction.FactorOn(sie, user.FactorWebAuthn) && !sie.PasskeySignIn.Enabled:
		return nil, domain.E("session.mfa.mfa_factor_not_enabled")
	}
	return []domain.Event{interaction.Bound(user.FactorWebAuthn, verificationID)}, nil
}
