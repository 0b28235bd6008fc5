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
func (h *Handler) mfaIdentifier(ctx context.Context, s *step, identifierType string) (interaction.Identifier, string, error) {
	u, err := h.identifiedUser(ctx, s)
	if err != nil {
		return interaction.Identifier{}, "", err
	}
	if u == nil {
		return interaction.Identifier{}, "", domain.E("session.identifier_not_found").WithStatus(http.StatusBadRequest)
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

// sendMFACode serves POST /verification/mfa-verification-code (spec §1.26):
// a code to the identified user's own email or phone.
func (h *Handler) sendMFACode(w http.ResponseWriter, r *http.Request) {
	body, bodyErr := decodeMFACode(r, false)
	verificationID := h.ids.NewID()
	var pending *pendingCode
	h.serve(w, r, "verification.mfa-verification-code", func(ctx context.Context, s *step) (reply, error) {
		if bodyErr != nil {
			return reply{}, bodyErr
		}
		id, recordType, err := h.mfaIdentifier(ctx, s, body.IdentifierType)
		if err != nil {
			return reply{}, err
		}
		kind, key := h.lookupKey(identifierBody{Type: id.Type, Value: id.Value})
		if err := h.issueCode(ctx, s, codeIssue{verificationID: verificationID, identifier: id, recordType: recordType,
			template: "MfaVerification", recipientKey: kind + ":" + key}, &pending); err != nil {
			return reply{}, err
		}
		return reply{http.StatusOK, map[string]string{"verificationId": verificationID}}, nil
	})
}

// verifyMFACode serves POST /verification/mfa-verification-code/verify.
func (h *Handler) verifyMFACode(w http.ResponseWriter, r *http.Request) {
	body, bodyErr := decodeMFACode(r, true)
	h.serve(w, r, "verification.mfa-verification-code.verify", func(ctx context.Context, s *step) (reply, error) {
		if bodyErr != nil {
			return reply{}, bodyErr
		}
		id, recordType, err := h.mfaIdentifier(ctx, s, body.IdentifierType)
		if err != nil {
			return reply{}, err
		}
		kind, key := h.lookupKey(identifierBody{Type: id.Type, Value: id.Value})
		g, err := h.loadSentinel(ctx, s, kind, key)
		if err != nil {
			return reply{}, err
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
			return reply{}, err
		}
		return reply{http.StatusOK, map[string]string{"verificationId": body.VerificationID}}, nil
	})
}
