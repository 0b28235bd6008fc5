package onelogin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/totp"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
)

// mfaFactors is the config of the Authenticator flow: an Authenticator, and an SMS
// factor that users without a phone (all of these tests') are not offered.
var mfaFactors = []mfaapi.Factor{
	{ID: 58957, Name: "Authenticator", AuthFactorName: "Google Authenticator", Kind: mfaapi.KindTotp},
	{ID: 58959, Name: "OneLogin SMS", AuthFactorName: "SMS", Kind: mfaapi.KindSMS},
}

// mfaEnv is the whole server (api.New: Experience, token endpoint, Users
// and MFA APIs) over a real embedded JetStream server, with a manage_all token.
type mfaEnv struct {
	t     *testing.T
	store *eventstore.Store
	clock *apitest.Clock
	url   string
	token string
}

func mfaNewEnv(t *testing.T) *mfaEnv {
	t.Helper()
	store := apitest.NewStore(t)
	clock := apitest.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	sie := usersSettings()
	sie.MFA = settings.MFA{Factors: []string{"Totp"}, Policy: "UserControlled"}
	srv, err := api.New(context.Background(), store, api.Options{
		Experience: experience.Config{Settings: *sie, TTL: time.Hour, ReturnURL: "http://localhost:3000/callback", CookieKey: apitest.CookieKey},
		Hasher:     apitest.CheapHasher(), Clock: clock, EncryptionKey: apitest.EncryptionKey,
		APIClients: append(append([]onelogin.Client{}, authClients...), onelogin.Client{ID: "users", Secret: "users-secret", Scope: onelogin.ScopeManageUsers}), MFAFactors: mfaFactors, Log: slog.New(slog.DiscardHandler),
		ReadModelDB: filepath.Join(t.TempDir(), projections.FileName),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(apitest.Audit(t, store, srv.Catalogue(), srv))
	t.Cleanup(ts.Close)
	e := &mfaEnv{t: t, store: store, clock: clock, url: ts.URL}
	e.token = e.tokenFor("admin", "admin-secret")
	return e
}

// tokenFor gets a bearer token through the real token endpoint.
func (e *mfaEnv) tokenFor(id, secret string) string {
	e.t.Helper()
	res := e.raw(http.MethodPost, onelogin.TokenPath, authBasic(id, secret), authGrantJSON)
	var tok authSDKToken
	mfaStrict(e.t, res, http.StatusOK, &tok)
	if tok.AccessToken == nil || *tok.AccessToken == "" {
		e.t.Fatalf("token body %s", res.body)
	}
	return *tok.AccessToken
}

func (e *mfaEnv) raw(method, path string, h http.Header, body string) authResponse {
	e.t.Helper()
	return (&authEnv{t: e.t, url: e.url}).send(method, path, h, body)
}

// callAs sends body (JSON-encoded unless a string) with token to the MFA path
// of user uid.
func (e *mfaEnv) callAs(token, method string, uid int64, path string, body any) authResponse {
	e.t.Helper()
	s, ok := body.(string)
	if !ok && body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		s = string(data)
	}
	h := http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}}
	return e.raw(method, "/api/2/mfa/users/"+strconv.FormatInt(uid, 10)+path, h, s)
}

func (e *mfaEnv) call(method string, uid int64, path string, body any) authResponse {
	e.t.Helper()
	return e.callAs(e.token, method, uid, path, body)
}

// user creates a user through the Users API and returns its id.
func (e *mfaEnv) user(name string) int64 {
	e.t.Helper()
	res := e.raw(http.MethodPost, "/api/2/users", http.Header{"Authorization": {"Bearer " + e.token}},
		`{"username":"`+name+`","email":"`+name+`@example.com","password":"`+usersGoodPassword+`","password_confirmation":"`+usersGoodPassword+`"}`)
	if res.status != http.StatusCreated {
		e.t.Fatalf("create user: %d %s", res.status, res.body)
	}
	return *usersDecodeSDK(e.t, res.body).ID
}

// mfaStrict decodes a body into the SDK model v, refusing unknown fields and
// any JSON type the model does not declare.
func mfaStrict(t *testing.T, res authResponse, status int, v any) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d: %s", res.status, status, res.body)
	}
	dec := json.NewDecoder(bytes.NewReader(res.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("body %s does not fit %T: %v", res.body, v, err)
	}
}

// The SDK models (onelogin-python-sdk 4.x) with their strict types.
type (
	sdkFactor struct {
		FactorID       int    `json:"factor_id"`
		Name           string `json:"name"`
		AuthFactorName string `json:"auth_factor_name"`
	}
	sdkRegistration struct {
		ID              string `json:"id"`
		Status          string `json:"status"`
		DeviceID        string `json:"device_id"`
		UserID          string `json:"user_id"`
		UserDisplayName string `json:"user_display_name"`
		TypeDisplayName string `json:"type_display_name"`
		AuthFactorName  string `json:"auth_factor_name"`
		ExpiresAt       string `json:"expires_at"`
		Default         bool   `json:"default"`
		FactorData      struct {
			TotpURL string `json:"totp_url"`
		} `json:"factor_data"`
	}
	sdkStatus struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		DeviceID string `json:"device_id"`
	}
	sdkDevice struct {
		DeviceID        string `json:"device_id"`
		UserDisplayName string `json:"user_display_name"`
		TypeDisplayName string `json:"type_display_name"`
		AuthFactorName  string `json:"auth_factor_name"`
		Default         bool   `json:"default"`
	}
	sdkVerification struct {
		ID              string `json:"id"`
		DeviceID        int64  `json:"device_id"`
		UserID          string `json:"user_id"`
		Status          string `json:"status"`
		ExpiresAt       string `json:"expires_at"`
		UserDisplayName string `json:"user_display_name"`
		TypeDisplayName string `json:"type_display_name"`
		AuthFactorName  string `json:"auth_factor_name"`
	}
	sdkVerify struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		DeviceID string `json:"device_id"`
		Error    bool   `json:"error"`
		Code     int    `json:"code"`
		Type     string `json:"type"`
		Message  string `json:"message"`
	}
	sdkToken struct {
		MFAToken  string `json:"mfa_token"`
		Reusable  bool   `json:"reusable"`
		ExpiresAt string `json:"expires_at"`
		DeviceID  string `json:"device_id"`
	}
)

// enroll registers an Authenticator for uid and returns the registration
// and the secret of its totp_url.
func (e *mfaEnv) enroll(uid int64) (sdkRegistration, string) {
	e.t.Helper()
	var reg sdkRegistration
	mfaStrict(e.t, e.call(http.MethodPost, uid, "/registrations", map[string]any{"factor_id": 58957, "display_name": "My phone", "expires_in": "300"}), http.StatusCreated, &reg)
	u, err := url.Parse(reg.FactorData.TotpURL)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
		e.t.Fatalf("totp_url %q", reg.FactorData.TotpURL)
	}
	// The issuer is http.publicUrl's host, not the Host the request named
	// (here 127.0.0.1).
	if issuer := u.Query().Get("issuer"); issuer != "localhost" {
		e.t.Fatalf("totp_url issuer %q, want localhost (http.publicUrl's host)", issuer)
	}
	return reg, u.Query().Get("secret")
}

// code is the TOTP of secret at the test clock's time.
func (e *mfaEnv) code(secret string) string {
	e.t.Helper()
	c, err := totp.Code(secret, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// accept enrolls and confirms an Authenticator; it returns the device id and secret.
func (e *mfaEnv) accept(uid int64) (string, string) {
	e.t.Helper()
	reg, secret := e.enroll(uid)
	n, _ := strconv.Atoi(e.code(secret))
	var st sdkStatus
	mfaStrict(e.t, e.call(http.MethodPut, uid, "/registrations/"+reg.ID, map[string]any{"otp": n}), http.StatusOK, &st)
	if st.Status != "accepted" || st.DeviceID != reg.DeviceID {
		e.t.Fatalf("confirm: %+v", st)
	}
	return reg.DeviceID, secret
}

// verification opens a verification of device for uid.
func (e *mfaEnv) verification(uid int64, device string) sdkVerification {
	e.t.Helper()
	n, _ := strconv.ParseInt(device, 10, 64)
	var v sdkVerification
	mfaStrict(e.t, e.call(http.MethodPost, uid, "/verifications", map[string]any{"device_id": n, "expires_in": 120}), http.StatusCreated, &v)
	return v
}

func (e *mfaEnv) verify(uid int64, id, otp string) sdkVerify {
	e.t.Helper()
	var out sdkVerify
	mfaStrict(e.t, e.call(http.MethodPut, uid, "/verifications/"+id, map[string]any{"otp": otp}), http.StatusOK, &out)
	return out
}
