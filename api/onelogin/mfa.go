package onelogin

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/command"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/secretbox"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/codekeys"
	"github.com/authtrail/authtrail/projections/devices"
)

// MFADeps are what the MFA API needs. Secrets must be the Experience API's
// keyring, so a TOTP enrolled here opens at sign-in; Tokens keys the
// temporary tokens' hashes, Codes the hashes of the codes sent by SMS and
// email, whose data keys go to CodeKeys for the delivery worker. Clock,
// Random and Log have defaults.
type MFADeps struct {
	Store    *eventstore.Store
	Auth     *Auth
	Factors  []mfaapi.Factor
	Secrets  *secretbox.Keyring
	Tokens   *code.Hasher
	Codes    *code.Hasher
	CodeKeys *codekeys.Store
	Clock    domain.Clock
	Random   io.Reader
	Log      *slog.Logger
	// Issuer is the TOTP issuer authenticator apps show: the host of
	// http.publicUrl, never a request's Host header.
	Issuer string
	// Devices is the device read model that serves GET /devices; CaughtUp
	// waits until it applied the events up to a stream sequence, so a
	// device accepted a moment ago is listed (read-your-writes).
	Devices  DeviceReadModel
	CaughtUp func(ctx context.Context, seq uint64) error
}

// DeviceReadModel lists a user's MFA factors from the read model.
type DeviceReadModel interface {
	List(ctx context.Context, userID string) ([]devices.Device, error)
}

// MFAAPI serves OneLogin's API v2 MFA endpoints (spec onelogin-mfa-api.md)
// for the Authenticator (TOTP), SMS and Email factors and the temporary MFA
// token.
type MFAAPI struct {
	d   MFADeps
	api *command.API
}

// NewMFAAPI fills in the defaults of d.
func NewMFAAPI(d MFADeps) *MFAAPI {
	if d.Clock == nil {
		d.Clock = domain.SystemClock{}
	}
	if d.Random == nil {
		d.Random = rand.Reader
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	m := &MFAAPI{d: d}
	m.api = m.commandAPI()
	return m
}

// MFAPathPrefix is the root of every MFA endpoint.
const MFAPathPrefix = "/api/2/mfa/users/{user_id}"

// Register mounts the endpoints on r (a router without a path prefix). Each
// route carries its own bearer check: manage_all, and for mfa_token also
// manage_users (decision 6).
func (m *MFAAPI) Register(r *mux.Router) {
	all := m.d.Auth.Require(ScopeManageAll)
	route := func(method, path string, h http.HandlerFunc, guard func(http.Handler) http.Handler) {
		r.Handle(MFAPathPrefix+path, guard(h)).Methods(method)
	}
	route(http.MethodGet, "/factors", mfaRoute(m, command.NoInput, m.factors), all)
	route(http.MethodGet, "/devices", mfaRoute(m, command.NoInput, m.devices), all)
	route(http.MethodDelete, "/devices/{device_id}", mfaRoute(m, pathVar("device_id"), m.deleteDevice), all)
	route(http.MethodPost, "/registrations", mfaRoute(m, m.parseRegistration, m.createRegistration), all)
	route(http.MethodGet, "/registrations/{id}", mfaRoute(m, pathVar("id"), m.getRegistration), all)
	route(http.MethodPut, "/registrations/{id}", mfaRoute(m, m.parseOTPSubmission, m.verifyRegistration), all)
	route(http.MethodPost, "/verifications", mfaRoute(m, m.parseVerification, m.createVerification), all)
	route(http.MethodGet, "/verifications/{id}", mfaRoute(m, pathVar("id"), m.getVerification), all)
	route(http.MethodPut, "/verifications/{id}", mfaRoute(m, m.parseOTPSubmission, m.verifyVerification), all)
	route(http.MethodPost, "/mfa_token", mfaRoute(m, m.parseToken, m.createToken), m.d.Auth.Require(ScopeManageAll, ScopeManageUsers))
}

// mfaUser is the path's user, folded inside the command's transaction.
type mfaUser struct {
	state *user.State
	token user.TempToken
}

// mfaReply is a command's answer: a status and a JSON body (none for 204).
type mfaReply = command.Reply

// mfaRequest is what an MFA route reads from its request: the path's user
// id ("" when the path names no user) and the route's own input.
type mfaRequest[In any] struct {
	userID string
	in     In
}

// mfaDecide is one attempt of an MFA command for the path's user.
type mfaDecide[In any] func(ctx context.Context, tx *eventstore.Tx, u mfaUser, in In) (mfaReply, error)

// mfaRoute serves an MFA endpoint as a command on the path's user: parse
// reads the request once, decide runs in each attempt on the user folded
// afresh. An unknown user answers 404 NotFoundError before the request's
// own refusals.
func mfaRoute[In any](m *MFAAPI, parse func(*http.Request) (In, error), decide mfaDecide[In]) http.HandlerFunc {
	return command.Handler(m.api, func(r *http.Request) (mfaRequest[In], error) {
		in, err := parse(r)
		return mfaRequest[In]{userID: pathUserID(r), in: in}, err
	}, func(ctx context.Context, tx *eventstore.Tx, req mfaRequest[In], inErr error) (mfaReply, error) {
		if req.userID == "" {
			return mfaReply{}, domain.E("onelogin.user_not_found")
		}
		u, err := mfaLoadUser(ctx, tx, req.userID)
		if err != nil {
			return mfaReply{}, err
		}
		if inErr != nil {
			return mfaReply{}, inErr
		}
		return decide(ctx, tx, u, req.in)
	})
}

// pathUserID is the path's user id in canonical form, or "" when it is not
// a positive decimal integer.
func pathUserID(r *http.Request) string {
	n, err := strconv.ParseUint(mux.Vars(r)["user_id"], 10, 63)
	if err != nil || n == 0 {
		return ""
	}
	return strconv.FormatUint(n, 10)
}

// pathVar is the parse of a route whose input is one path variable.
func pathVar(name string) func(*http.Request) (string, error) {
	return func(r *http.Request) (string, error) { return mux.Vars(r)[name], nil }
}

// commandAPI is how the MFA API answers its commands.
func (m *MFAAPI) commandAPI() *command.API {
	return &command.API{
		Store: m.d.Store,
		Meta: func(r *http.Request) eventstore.Metadata {
			meta := eventstore.Metadata{Time: m.d.Clock.Now(), Actor: "onelogin:mfa", CorrelationID: r.Header.Get("X-Request-Id")}
			if c, ok := ClientFrom(r.Context()); ok {
				meta.Actor = "onelogin:mfa:" + c.ID
			}
			return meta
		},
		Reply: writeReply,
		Error: m.fail,
	}
}

// writeReply answers a command of the OneLogin-style APIs.
func writeReply(w http.ResponseWriter, _ *http.Request, out command.Reply) {
	for k, v := range out.Header {
		w.Header()[k] = v
	}
	if out.Body == nil {
		w.Header().Set("Cache-Control", "no-cache, must-revalidate, no-store")
		w.WriteHeader(out.Status)
		return
	}
	WriteJSON(w, out.Status, out.Body)
}

// mfaLoadUser folds the path's user from its snapshot (accounts.Load), so
// an MFA call costs the same for a user with years of uses as for a new one.
func mfaLoadUser(ctx context.Context, tx *eventstore.Tx, userID string) (mfaUser, error) {
	s, err := accounts.Load(ctx, tx, userID)
	if err != nil {
		return mfaUser{}, err
	}
	if s == nil || !s.Exists {
		return mfaUser{}, domain.E("onelogin.user_not_found")
	}
	return mfaUser{state: s, token: s.TempToken}, nil
}

// fail answers a refused or failed MFA command.
func (m *MFAAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeFailure(m.d.Log, w, r, err)
}

// parseError is the refusal of a parsed request: the first failure to read
// it, else its invalid parameters (nil when there are none).
func parseError(params mfaapi.InvalidParams, errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if len(params) > 0 {
		return params
	}
	return nil
}

// mfaDecode reads a JSON object body; an empty body is an empty object.
// Unknown fields are ignored (docs/onelogin-api.md, Conventions).
func mfaDecode(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return domain.E("onelogin.bad_request")
	}
	if len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return domain.E("onelogin.bad_request")
	}
	return nil
}

// mfaTime is OneLogin's timestamp: UTC, seconds, Z.
func mfaTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// newID draws a UUID for a registration or verification.
func (m *MFAAPI) newID() (string, error) { return mfaapi.NewUUID(m.d.Random) }

// load folds an aggregate of the MFA API inside tx; its subject is
// remembered, so an append conflicts with a concurrent change.
func mfaLoad(ctx context.Context, tx *eventstore.Tx, aggType, id string, reg domain.Registry) ([]domain.Event, error) {
	if !mfaapi.IsUUID(id) {
		return nil, nil
	}
	envs, err := tx.Load(ctx, eventstore.MustSubject(aggType, id))
	if err != nil {
		return nil, err
	}
	return eventstore.Decode(envs, reg)
}
