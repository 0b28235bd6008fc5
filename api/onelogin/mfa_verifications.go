package onelogin

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/totp"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/codekeys"
)

// verificationStart is POST /verifications' request, with the id drawn
// for it and the code it may send, shared by the attempts of its command.
type verificationStart struct {
	deviceID      string
	deviceOK      bool
	expiresIn     int64
	customMessage json.RawMessage
	id            string
	pending       *codekeys.Pending
}

func (m *MFAAPI) parseVerification(r *http.Request) (*verificationStart, error) {
	var body struct {
		DeviceID      json.RawMessage `json:"device_id"`
		ExpiresIn     json.RawMessage `json:"expires_in"`
		CustomMessage json.RawMessage `json:"custom_message"`
	}
	bodyErr := mfaDecode(r, &body)
	var params mfaapi.InvalidParams
	deviceID, ok := mfaapi.ParseDeviceID(body.DeviceID)
	if !ok {
		params = append(params, "device_id")
	}
	expiresIn, ok := mfaapi.ParseSeconds(body.ExpiresIn, mfaapi.DefaultExpiresIn, mfaapi.MinExpiresIn, mfaapi.MaxExpiresIn)
	if !ok {
		params = append(params, "expires_in")
	}
	id, idErr := m.newID()
	in := &verificationStart{deviceID: deviceID, expiresIn: expiresIn, customMessage: body.CustomMessage, id: id}
	return in, parseError(params, bodyErr, idErr)
}

// createVerification serves POST /verifications {device_id, expires_in}
// (docs/onelogin-api.md, Verifications): a challenge of one of the user's devices. For an SMS or
// Email device a code is sent through the delivery worker.
func (m *MFAAPI) createVerification(ctx context.Context, tx *eventstore.Tx, u mfaUser, in *verificationStart) (mfaReply, error) {
	started, device, err := mfaapi.StartVerification(in.id, m.d.Factors, u.state, in.deviceID, in.expiresIn, m.d.Clock.Now())
	if err != nil {
		return mfaReply{}, err
	}
	n, err := strconv.ParseInt(started.DeviceID, 10, 64)
	if err != nil {
		return mfaReply{}, err
	}
	subject := eventstore.MustSubject(mfaapi.VerificationAggregate, in.id)
	tx.Append(subject, started)
	if channel := mfaapi.Channel(device.Kind); channel != "" {
		to := device.Destination
		if to == "" {
			to = mfaapi.Destination(device.Kind, u.state)
		}
		if to == "" {
			return mfaReply{}, mfaapi.InvalidParams{"device_id"}
		}
		tpl, ok := customMessage(in.customMessage, channel, started.ExpiresAt.Sub(m.d.Clock.Now()))
		if !ok {
			return mfaReply{}, mfaapi.InvalidParams{"custom_message"}
		}
		if err := m.sendCode(ctx, tx, codeSend{subject: subject, id: in.id, userID: u.state.ID, channel: channel, to: to,
			template: mfaapi.TemplateVerification, expiresAt: started.ExpiresAt, customMessage: tpl}, &in.pending); err != nil {
			return mfaReply{}, err
		}
	}
	return mfaReply{Status: http.StatusCreated, Body: mfaVerificationModel{
		ID: in.id, DeviceID: n, UserID: u.state.ID, Status: mfaapi.StatusPending, ExpiresAt: mfaTime(started.ExpiresAt),
		UserDisplayName: started.UserDisplayName, TypeDisplayName: started.TypeDisplayName, AuthFactorName: started.AuthFactorName,
	}}, nil
}

// getVerification serves GET /verifications/{id}.
func (m *MFAAPI) getVerification(ctx context.Context, tx *eventstore.Tx, u mfaUser, id string) (mfaReply, error) {
	v, err := m.loadVerification(ctx, tx, id, u)
	if err != nil {
		return mfaReply{}, err
	}
	_, active := m.factor(u, v.FactorID)
	return mfaReply{Status: http.StatusOK, Body: mfaStatusModel{ID: v.VerificationID, Status: v.Status(m.d.Clock.Now(), active), DeviceID: v.DeviceID}}, nil
}

// verifyVerification serves PUT /verifications/{id} {otp, device_id}: the
// hybrid body (docs/onelogin-api.md, Verifications). The OTP is the code sent to an SMS or Email
// device, the device's TOTP (a step after the last one used) or the user's
// temporary token. The user's totp_used or temp_token_used is claimed
// first, then the acceptance follows: two single-subject appends, no
// atomic batch (docs/architecture.md, Claims).
func (m *MFAAPI) verifyVerification(ctx context.Context, tx *eventstore.Tx, u mfaUser, in otpSubmission) (mfaReply, error) {
	v, err := m.loadVerification(ctx, tx, in.id, u)
	if err != nil {
		return mfaReply{}, err
	}
	if !in.otpOK {
		return mfaReply{}, mfaapi.InvalidParams{"otp"}
	}
	if in.device && in.deviceID != v.DeviceID && in.deviceID != mfaapi.TempDeviceID(u.state.ID) {
		return mfaReply{}, mfaapi.InvalidParams{"device_id"}
	}
	now := m.d.Clock.Now()
	check := mfaapi.Check{CodeMatched: m.codeMatches(v.Code, v.VerificationID, in.otp), UseID: in.useID}
	if f, ok := m.factor(u, v.FactorID); ok {
		if secret, opened := totp.Open(m.d.Secrets, u.state.ID, f.Secret); opened {
			check.TotpStep, check.TotpMatched = totp.Match(secret, in.otp.Padded(mfaapi.TotpDigits), now)
		}
	}
	if u.token.TokenID != "" {
		check.TokenMatched = m.d.Tokens.Matches(mfaTokenDigest(u.token.Hash), mfaTokenBinding(u.state.ID, u.token.TokenID), in.otp.Padded(mfaapi.TempTokenDigits))
	}
	out, err := mfaapi.Verify(v, u.state, u.token, check, now)
	if err != nil {
		return mfaReply{}, err
	}
	tx.Claim(accounts.Subject(u.state.ID), out.User...)
	tx.Append(eventstore.MustSubject(mfaapi.VerificationAggregate, v.VerificationID), out.Verification...)
	reply := mfaVerifyModel{ID: v.VerificationID, Status: out.Status, DeviceID: v.DeviceID,
		Error: true, Code: http.StatusUnauthorized, Type: "Unauthorized", Message: "Failed authentication with this factor"}
	if out.Status == mfaapi.StatusAccepted {
		reply.Error, reply.Code, reply.Type, reply.Message = false, http.StatusOK, "success", "Success"
	}
	return mfaReply{Status: http.StatusOK, Body: reply}, nil
}

// loadVerification folds the path's verification; another user's is not found.
func (m *MFAAPI) loadVerification(ctx context.Context, tx *eventstore.Tx, id string, u mfaUser) (mfaapi.Verification, error) {
	events, err := mfaLoad(ctx, tx, mfaapi.VerificationAggregate, id, mfaapi.VerificationEvents)
	if err != nil {
		return mfaapi.Verification{}, err
	}
	v := mfaapi.FoldVerification(events)
	if !v.Exists || v.UserID != u.state.ID {
		return mfaapi.Verification{}, mfaapi.ErrNotFound
	}
	return v, nil
}

// factor is the user's factor behind a verification, if it still exists.
func (m *MFAAPI) factor(u mfaUser, factorID string) (user.Factor, bool) {
	for _, f := range u.state.Factors {
		if f.ID == factorID {
			return f, true
		}
	}
	return user.Factor{}, false
}
