package onelogin

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

// factors serves GET /factors: the factors the user may still enrol, as a
// bare array.
func (m *MFAAPI) factors(_ context.Context, _ *eventstore.Tx, u mfaUser, _ struct{}) (mfaReply, error) {
	out := []mfaFactorModel{}
	for _, f := range mfaapi.Available(m.d.Factors, u.state) {
		out = append(out, mfaFactorModel{FactorID: f.ID, Name: f.Name, AuthFactorName: f.AuthFactorName})
	}
	return mfaReply{Status: http.StatusOK, Body: out}, nil
}

// devices serves GET /devices: the user's OTP-verifiable devices, read from
// the device read model once it has applied the user's latest event, so a
// device is listed as soon as it is accepted (read-your-writes).
func (m *MFAAPI) devices(ctx context.Context, _ *eventstore.Tx, u mfaUser, _ struct{}) (mfaReply, error) {
	listed, err := m.readDevices(ctx, u.state.ID)
	if err != nil {
		return mfaReply{}, err
	}
	out := []mfaDeviceModel{}
	for _, d := range mfaapi.Devices(m.d.Factors, listed) {
		out = append(out, mfaDeviceModel{DeviceID: d.DeviceID, UserDisplayName: d.UserDisplayName,
			TypeDisplayName: d.TypeDisplayName, AuthFactorName: d.AuthFactorName, Default: d.Default})
	}
	return mfaReply{Status: http.StatusOK, Body: out}, nil
}

// deleteDevice serves DELETE /devices/{device_id}: 204 and
// user.mfa.factor_removed. Open verifications of the device answer 403 from
// then on (Verify refuses a verification whose factor is gone).
func (m *MFAAPI) deleteDevice(_ context.Context, tx *eventstore.Tx, u mfaUser, deviceID string) (mfaReply, error) {
	d, ok := mfaapi.FindDevice(m.d.Factors, u.state, deviceID)
	if !ok {
		return mfaReply{}, mfaapi.ErrNotFound
	}
	tx.Append(accounts.Subject(u.state.ID), &user.MFAFactorRemoved{FactorID: d.FactorID, Source: "mfa-api"})
	return mfaReply{Status: http.StatusNoContent}, nil
}

// readDevices reads the user's factors from the device read model once it
// has applied the user's latest event, as the factors of a user state (ids,
// types, names and creation order are all the device list needs).
func (m *MFAAPI) readDevices(ctx context.Context, userID string) (*user.State, error) {
	last, err := m.d.Store.Last(ctx, accounts.Subject(userID))
	if err != nil {
		return nil, err
	}
	waitCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := m.d.CaughtUp(waitCtx, last.Seq); err != nil {
		return nil, fmt.Errorf("device read model behind: %w", err)
	}
	list, err := m.d.Devices.List(ctx, userID)
	if err != nil {
		return nil, err
	}
	s := &user.State{ID: userID, Exists: true}
	for _, d := range list {
		s.Factors = append(s.Factors, user.Factor{ID: d.ID, Type: d.Type, Name: d.Name, CreatedAt: d.CreatedAt})
	}
	return s, nil
}
