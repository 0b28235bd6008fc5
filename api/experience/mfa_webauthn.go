package experience

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/passkey"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/user"
)

// passkeyUser names the user to the authenticator (spec §2.14).
func passkeyUser(u *user.State) passkey.User {
	name := "Unnamed User"
	for _, v := range []string{u.PrimaryEmail, u.PrimaryPhone, u.Username} {
		if v != "" {
			name = v
			break
		}
	}
	return passkey.User{ID: u.ID, Name: name, DisplayName: displayName(u)}
}

// credentials are the user's WebAuthn factors in the library's terms.
func credentials(u *user.State) []passkey.Credential {
	var out []passkey.Credential
	for _, f := range u.WebAuthnFactors() {
		id, err := base64.RawURLEncoding.DecodeString(f.CredentialID)
		if err != nil {
			continue
		}
		out = append(out, passkey.Credential{ID: id, PublicKey: f.PublicKey, SignCount: f.SignCount, Transports: f.Transports, AAGUID: f.AAGUID})
	}
	return out
}

// newVerificationID is the parse of a route whose only input is the id of
// the record it creates.
func (h *Handler) newVerificationID(*http.Request) (string, error) { return h.ids.NewID(), nil }

// startWebAuthn serves the registration and authentication option routes
// (spec §1.20, §1.22).
func (h *Handler) startWebAuthn(ceremony string) Decide[string] {
	optionsKey := "registrationOptions"
	if ceremony == interaction.CeremonyAuthentication {
		optionsKey = "authenticationOptions"
	}
	return func(ctx context.Context, s *Step, verificationID string) (Reply, error) {
		u, err := h.identifiedUser(ctx, s)
		if err != nil || u == nil {
			return Reply{}, orIdentifierNotFound(err)
		}
		var options json.RawMessage
		var session passkey.Session
		now := h.clock.Now()
		switch {
		case ceremony == interaction.CeremonyRegistration:
			options, session, err = h.passkeys.BeginRegistration(passkeyUser(u), credentials(u), now)
		case len(credentials(u)) > 0:
			options, session, err = h.passkeys.BeginAuthentication(passkeyUser(u), credentials(u), now)
		}
		if err != nil {
			return Reply{}, err
		}
		stored, err := json.Marshal(session)
		if err != nil {
			return Reply{}, err
		}
		events, err := interaction.StartWebAuthn(s.State, u, verificationID, ceremony, stored)
		if err != nil {
			return Reply{}, err
		}
		s.Append(events...)
		return Reply{Status: http.StatusOK, Body: map[string]any{"verificationId": verificationID, optionsKey: options}}, nil
	}
}

type webAuthnBody struct {
	VerificationID string          `json:"verificationId"`
	Payload        json.RawMessage `json:"payload"`
	agent          string          // the browser's User-Agent, kept with a registered credential
}

func parseWebAuthn(r *http.Request) (webAuthnBody, error) {
	body := webAuthnBody{agent: r.UserAgent()}
	if err := httpx.Decode(r, &body); err != nil {
		return body, err
	}
	if body.VerificationID == "" || len(body.Payload) == 0 || body.Payload[0] != '{' {
		return body, httpx.Invalid("body", `"verificationId" and "payload" are required`)
	}
	return body, nil
}

// verifyWebAuthnRegistration serves POST /web-authn/registration/verify (spec §1.21).
func (h *Handler) verifyWebAuthnRegistration(_ context.Context, s *Step, body webAuthnBody) (Reply, error) {
	events, err := interaction.FinishWebAuthnRegistration(s.State, body.VerificationID, func(stored json.RawMessage) (user.Factor, error) {
		var session passkey.Session
		if err := json.Unmarshal(stored, &session); err != nil {
			return user.Factor{}, err
		}
		cred, err := h.passkeys.FinishRegistration(session, body.Payload, h.clock.Now())
		if err != nil {
			return user.Factor{}, err
		}
		return user.Factor{Type: user.FactorWebAuthn, CredentialID: passkey.CredentialIDString(cred.ID),
			PublicKey: cred.PublicKey, SignCount: cred.SignCount, Transports: cred.Transports, AAGUID: cred.AAGUID,
			RPID: h.cfg.WebAuthn.RPID, Agent: body.agent}, nil
	})
	if err != nil {
		return Reply{}, err
	}
	s.Append(events...)
	return Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": body.VerificationID}}, nil
}

// verifyWebAuthnAuthentication serves POST /web-authn/authentication/verify (spec §1.23).
func (h *Handler) verifyWebAuthnAuthentication(ctx context.Context, s *Step, body webAuthnBody) (Reply, error) {
	u, err := h.identifiedUser(ctx, s)
	if err != nil || u == nil {
		return Reply{}, orIdentifierNotFound(err)
	}
	g, err := h.loadGuard(ctx, s, sentinel.PoolWebAuthn, u.ID)
	if err != nil {
		return Reply{}, err
	}
	now := h.clock.Now()
	out := interaction.FinishWebAuthnAuthentication(s.State, u, body.VerificationID, func(stored json.RawMessage) (interaction.Assertion, error) {
		var session passkey.Session
		if err := json.Unmarshal(stored, &session); err != nil {
			return interaction.Assertion{}, err
		}
		res, err := h.passkeys.FinishAuthentication(session, passkeyUser(u), credentials(u), body.Payload, now)
		return interaction.Assertion{CredentialID: passkey.CredentialIDString(res.CredentialID), SignCount: res.SignCount,
			CloneWarning: res.CloneWarning}, err
	}, h.attempt(g, now))
	if err := s.settle(g, u.ID, out); err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": body.VerificationID}}, nil
}
