package onelogin

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

// mfaTokenBinding binds a temporary token's hash to its user and issue, so
// a digest is useless for any other.
func mfaTokenBinding(userID, tokenID string) string { return "mfa_token:" + userID + ":" + tokenID }

func mfaTokenDigest(h user.CodeHash) code.Digest { return code.Digest{KeyID: h.KeyID, Sum: h.Sum} }

// tokenRequest is POST /mfa_token's request, with the token and its id
// drawn for it.
type tokenRequest struct {
	expiresIn      int64
	reusable       bool
	token, tokenID string
}

func (m *MFAAPI) parseToken(r *http.Request) (tokenRequest, error) {
	var body struct {
		ExpiresIn json.RawMessage `json:"expires_in"`
		Reusable  json.RawMessage `json:"reusable"`
	}
	bodyErr := mfaDecode(r, &body)
	var params mfaapi.InvalidParams
	expiresIn, ok := mfaapi.ParseSeconds(body.ExpiresIn, mfaapi.DefaultTokenLife, mfaapi.MinTokenLife, mfaapi.MaxTokenLife)
	if !ok {
		params = append(params, "expires_in")
	}
	reusable, ok := mfaBool(body.Reusable)
	if !ok {
		params = append(params, "reusable")
	}
	token, tokenErr := mfaapi.NewTempToken(m.d.Random)
	in := tokenRequest{expiresIn: expiresIn, reusable: reusable, token: token, tokenID: domain.RandomIDs{Rand: m.d.Random}.NewID()}
	return in, parseError(params, bodyErr, tokenErr)
}

// createToken serves POST /mfa_token {expires_in, reusable}
// (docs/onelogin-api.md, Temporary MFA tokens):
// an 8-digit temporary token, stored as a keyed hash in
// user.mfa.temp_token_issued; it replaces the user's previous one.
func (m *MFAAPI) createToken(_ context.Context, tx *eventstore.Tx, u mfaUser, in tokenRequest) (mfaReply, error) {
	now := m.d.Clock.Now()
	d := m.d.Tokens.Hash(mfaTokenBinding(u.state.ID, in.tokenID), in.token)
	issued := &user.TempTokenIssued{TokenID: in.tokenID, Hash: user.CodeHash{KeyID: d.KeyID, Sum: d.Sum}, Reusable: in.reusable,
		IssuedAt: now, ExpiresAt: now.Add(time.Duration(in.expiresIn) * time.Second)}
	tx.Append(accounts.Subject(u.state.ID), issued)
	return mfaReply{Status: http.StatusCreated, Body: mfaTokenModel{MFAToken: in.token, Reusable: in.reusable,
		ExpiresAt: mfaTime(issued.ExpiresAt), DeviceID: mfaapi.TempDeviceID(u.state.ID)}}, nil
}
