package experience

import (
	"context"
	"net/http"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
)

type mfaCodeBody struct {
	IdentifierType string  `json:"identifierType"`
	VerificationID string  `json:"verificationId"`
	Code           *string `json:"code"`
}

func decodeMFACode(r *http.Request, verify bool) (mfaCodeBody, error) {
	var body mfaCodeBody
	if err := httpx.Decode(r, &body); err != nil {
		return body, err
	}
	if body.IdentifierType != settings.IdentifierEmail && body.IdentifierType != settings.IdentifierPhone {
		return body, httpx.Invalid("body", `"identifierType" must be email or phone`)
	}
	if verify && (body.VerificationID == "" || body.Code == nil) {
		return body, httpx.Invalid("body", `"verificationId" and "code" are required`)
	}
	return body, nil
}

// mfaIdentifier is the identified user's own address for an MFA code.
func (h *Handler) mfaIdentifier(ctx context.Context, s *Step, identifierType string) (interaction.Identifier, string, error) {
	u, err := h.identifiedUser(ctx, s)
	if err != nil {
		return interaction.Identifier{}, "", err
	}
	if u == nil {
		return interaction.Identifier{}, "", domain.E("session.identifier_not_found@mfa_code")
	}
	value, recordType := u.PrimaryEmail, interaction.RecordMfaEmailCode
	if identifierType == settings.IdentifierPhone {
		value, recordType = u.PrimaryPhone, interaction.RecordMfaPhoneCode
	}
	if value == "" {
		return interaction.Identifier{}, "", domain.E("session.mfa.mfa_factor_not_enabled")
	}
	return interaction.Identifier{Type: identifierType, Value: value}, recordType, nil
}

// mfaCodeSend is the MFA code send's request, with the id of the record it
// creates and the code drawn for it, shared by the attempts of the step.
type mfaCodeSend struct {
	mfaCodeBody
	verificationID string
	pending        *pendingCode
}

func (h *Handler) parseMFACodeSend(r *http.Request) (*mfaCodeSend, error) {
	body, err := decodeMFACode(r, false)
	return &mfaCodeSend{mfaCodeBody: body, verificationID: h.ids.NewID()}, err
}

func parseMFACodeVerify(r *http.Request) (mfaCodeBody, error) { return decodeMFACode(r, true) }

// sendMFACode serves POST /verification/mfa-verification-code (spec §1.26):
// a code to the identified user's own email or phone.
func (h *Handler) sendMFACode(ctx context.Context, s *Step, in *mfaCodeSend) (Reply, error) {
	id, recordType, err := h.mfaIdentifier(ctx, s, in.IdentifierType)
	if err != nil {
		return Reply{}, err
	}
	kind, key := h.users.Identifier(id.Type, id.Value)
	if err := h.issueCode(ctx, s, codeIssue{verificationID: in.verificationID, identifier: id, recordType: recordType,
		template: "MfaVerification", recipientKey: kind + ":" + key}, &in.pending); err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.verificationID}}, nil
}

// verifyMFACode serves POST /verification/mfa-verification-code/verify.
func (h *Handler) verifyMFACode(ctx context.Context, s *Step, body mfaCodeBody) (Reply, error) {
	id, recordType, err := h.mfaIdentifier(ctx, s, body.IdentifierType)
	if err != nil {
		return Reply{}, err
	}
	kind, key := h.users.Identifier(id.Type, id.Value)
	g, err := h.loadSentinel(ctx, s, kind, key)
	if err != nil {
		return Reply{}, err
	}
	out := interaction.VerifyCode(s.State, interaction.CodeAttempt{
		RecordType: recordType, VerificationID: body.VerificationID, Identifier: id, Code: *body.Code,
		Matches:        func(d code.Digest) bool { return h.codes.Matches(d, body.VerificationID, *body.Code) },
		Policy:         h.sie().VerificationCodePolicy,
		Sentinel:       g.state,
		SentinelPolicy: h.sentinelPolicy(),
		Now:            h.clock.Now(),
	})
	if err := s.settle(g, "", out); err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": body.VerificationID}}, nil
}
