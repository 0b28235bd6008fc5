package onelogin

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/totp"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/codekeys"
)

type mfaRegistrationRequest struct {
	FactorID    json.RawMessage `json:"factor_id"`
	DisplayName json.RawMessage `json:"display_name"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
	Verified    json.RawMessage `json:"verified"`
	// CustomMessage: the SMS text with {{otp_code}} (and {{otp_expiry}}).
	CustomMessage json.RawMessage `json:"custom_message"`
}

// registration is POST /registrations' request, validated, with the ids
// and the TOTP secret drawn for it and the code it may send, shared by the
// attempts of its command.
type registration struct {
	factorID      int64
	displayName   string
	expiresIn     int64
	verified      bool
	customMessage json.RawMessage
	regID         string
	secret        string
	factorUserID  string
	issuer        string // the TOTP issuer: http.publicUrl's host
	pending       *codekeys.Pending
}

func (m *MFAAPI) parseRegistration(r *http.Request) (*registration, error) {
	var body mfaRegistrationRequest
	bodyErr := mfaDecode(r, &body)
	var params mfaapi.InvalidParams
	factorID, present, ok := mfaapi.ParseInt(body.FactorID)
	if !present || !ok || factorID <= 0 {
		params = append(params, "factor_id")
	}
	var displayName string
	if json.Unmarshal(body.DisplayName, &displayName) != nil || strings.TrimSpace(displayName) == "" {
		params = append(params, "display_name")
	}
	expiresIn, ok := mfaapi.ParseSeconds(body.ExpiresIn, mfaapi.DefaultExpiresIn, mfaapi.MinExpiresIn, mfaapi.MaxExpiresIn)
	if !ok {
		params = append(params, "expires_in")
	}
	verified, ok := mfaBool(body.Verified)
	if !ok {
		params = append(params, "verified")
	}
	regID, idErr := m.newID()
	secret, secretErr := totp.NewSecret(m.d.Random)
	in := &registration{factorID: factorID, displayName: strings.TrimSpace(displayName), expiresIn: expiresIn,
		verified: verified, customMessage: body.CustomMessage, regID: regID, secret: secret,
		factorUserID: domain.RandomIDs{Rand: m.d.Random}.NewID(), issuer: m.d.Issuer}
	return in, parseError(params, bodyErr, idErr, secretErr)
}

// createRegistration serves POST /registrations (docs/onelogin-api.md,
// Registrations). An
// Authenticator answers its totp_url; an SMS or Email factor sends a code to
// the profile's phone or email through the delivery worker, or with
// verified=true is accepted at once and sends nothing.
func (m *MFAAPI) createRegistration(ctx context.Context, tx *eventstore.Tx, u mfaUser, in *registration) (mfaReply, error) {
	sealed, err := totp.Seal(m.d.Secrets, u.state.ID, in.secret, m.d.Random)
	if err != nil {
		return mfaReply{}, err
	}
	started, err := mfaapi.Start(mfaapi.StartRegistration{
		RegistrationID: in.regID, FactorID: in.factorUserID, User: u.state, Factors: m.d.Factors,
		FactorConfigID: in.factorID, DisplayName: in.displayName, ExpiresIn: in.expiresIn,
		Verified: in.verified, Secret: &sealed, Now: m.d.Clock.Now(),
	})
	if err != nil {
		return mfaReply{}, err
	}
	subject := eventstore.MustSubject(mfaapi.RegistrationAggregate, in.regID)
	tx.Append(subject, started)
	reply := mfaRegistrationModel{
		ID: in.regID, Status: mfaapi.StatusPending, DeviceID: user.DeviceID(started.FactorID), UserID: u.state.ID,
		UserDisplayName: started.DisplayName, TypeDisplayName: started.TypeDisplayName,
		AuthFactorName: started.AuthFactorName, ExpiresAt: mfaTime(started.ExpiresAt),
		Default: len(mfaapi.Devices(m.d.Factors, u.state)) == 0,
	}
	switch {
	case started.Kind == mfaapi.KindTotp:
		reply.FactorData = &mfaFactorData{TotpURL: totp.URI(in.issuer, mfaAccountName(u.state), in.secret)}
	case in.verified:
		out := mfaapi.AcceptVerified(*started, u.state, started.CreatedAt)
		tx.Append(subject, out.Registration...)
		tx.Append(accounts.Subject(u.state.ID), out.User...)
		reply.Status = out.Status
	default:
		channel := mfaapi.Channel(started.Kind)
		tpl, ok := customMessage(in.customMessage, channel, started.ExpiresAt.Sub(started.CreatedAt))
		if !ok {
			return mfaReply{}, mfaapi.InvalidParams{"custom_message"}
		}
		err := m.sendCode(ctx, tx, codeSend{subject: subject, id: in.regID, userID: u.state.ID, channel: channel,
			to: started.Destination, template: mfaapi.TemplateRegistration, expiresAt: started.ExpiresAt, customMessage: tpl}, &in.pending)
		if err != nil {
			return mfaReply{}, err
		}
	}
	return mfaReply{Status: http.StatusCreated, Body: reply}, nil
}

// getRegistration serves GET /registrations/{id}.
func (m *MFAAPI) getRegistration(ctx context.Context, tx *eventstore.Tx, u mfaUser, id string) (mfaReply, error) {
	reg, err := m.loadRegistration(ctx, tx, id, u)
	if err != nil {
		return mfaReply{}, err
	}
	return mfaReply{Status: http.StatusOK, Body: mfaStatusModel{ID: reg.RegistrationID, Status: reg.Status(m.d.Clock.Now()), DeviceID: reg.DeviceID()}}, nil
}

// otpSubmission is the body of PUT /registrations/{id} and
// /verifications/{id}, with the path's id.
type otpSubmission struct {
	id       string
	otp      mfaapi.OTP
	otpOK    bool
	deviceID string
	device   bool   // device_id was given
	useID    string // drawn once per request: the id of the use it claims
}

func (m *MFAAPI) parseOTPSubmission(r *http.Request) (otpSubmission, error) {
	var body struct {
		OTP      json.RawMessage `json:"otp"`
		DeviceID json.RawMessage `json:"device_id"`
	}
	err := mfaDecode(r, &body)
	in := otpSubmission{id: mux.Vars(r)["id"]}
	in.otp, in.otpOK = mfaapi.ParseOTP(body.OTP)
	in.deviceID, in.device = mfaapi.ParseDeviceID(body.DeviceID)
	if err == nil {
		in.useID, err = m.newID()
	}
	return in, err
}

// verifyRegistration serves PUT /registrations/{id} {otp}: the TOTP of an
// Authenticator or the code sent by SMS or email. The acceptance and the
// user's factor_added land in one atomic append.
func (m *MFAAPI) verifyRegistration(ctx context.Context, tx *eventstore.Tx, u mfaUser, in otpSubmission) (mfaReply, error) {
	reg, err := m.loadRegistration(ctx, tx, in.id, u)
	if err != nil {
		return mfaReply{}, err
	}
	if !in.otpOK {
		return mfaReply{}, mfaapi.InvalidParams{"otp"}
	}
	now := m.d.Clock.Now()
	var matched bool
	var step uint64
	if reg.Code != nil {
		matched = m.codeMatches(reg.Code, reg.RegistrationID, in.otp)
	} else if secret, ok := totp.Open(m.d.Secrets, u.state.ID, reg.Secret); ok {
		step, matched = totp.Match(secret, in.otp.Padded(mfaapi.TotpDigits), now)
	}
	out, err := mfaapi.Confirm(reg, u.state, matched, step, now)
	if err != nil {
		return mfaReply{}, err
	}
	tx.Append(eventstore.MustSubject(mfaapi.RegistrationAggregate, reg.RegistrationID), out.Registration...)
	if len(out.User) > 0 {
		tx.Append(accounts.Subject(u.state.ID), out.User...)
	}
	return mfaReply{Status: http.StatusOK, Body: mfaStatusModel{ID: reg.RegistrationID, Status: out.Status, DeviceID: reg.DeviceID()}}, nil
}

// loadRegistration folds the path's registration; another user's is not found.
func (m *MFAAPI) loadRegistration(ctx context.Context, tx *eventstore.Tx, id string, u mfaUser) (mfaapi.Registration, error) {
	events, err := mfaLoad(ctx, tx, mfaapi.RegistrationAggregate, id, mfaapi.RegistrationEvents)
	if err != nil {
		return mfaapi.Registration{}, err
	}
	reg := mfaapi.FoldRegistration(events)
	if !reg.Exists || reg.UserID != u.state.ID {
		return mfaapi.Registration{}, mfaapi.ErrNotFound
	}
	return reg, nil
}

// mfaBool reads a boolean given as true/false or "true"/"false"; absent is false.
func mfaBool(raw json.RawMessage) (bool, bool) {
	var b bool
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &b) == nil {
		return b, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && (s == "true" || s == "false") {
		return s == "true", true
	}
	return false, false
}

// mfaAccountName is what authenticator apps show for the user.
func mfaAccountName(u *user.State) string {
	for _, v := range []string{u.PrimaryEmail, u.Username, u.PrimaryPhone, u.Name} {
		if v != "" {
			return v
		}
	}
	return "user " + u.ID
}
