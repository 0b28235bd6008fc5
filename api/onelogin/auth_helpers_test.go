package onelogin_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/limiter"
	"github.com/gorilla/mux"
)

var (
	authKey     = bytes.Repeat([]byte{5}, 32)
	authStart   = time.Date(2026, 11, 23, 10, 0, 0, 123_000_000, time.UTC)
	authClients = []onelogin.Client{
		{ID: "admin", Secret: "admin-secret", Scope: onelogin.ScopeManageAll},
		{ID: "reader", Secret: "reader-secret", Scope: onelogin.ScopeReadUsers},
		{ID: "odd id/with.dots*>", Secret: "s3cr:et, with comma", Scope: onelogin.ScopeManageAll},
	}
)

const authAccountID = 555555

// authEnv is the token endpoints and two guarded test routes over a real
// embedded JetStream server.
type authEnv struct {
	t     *testing.T
	store *eventstore.Store
	clock *apitest.Clock
	auth  *onelogin.Auth
	url   string
}

func newAuthEnv(t *testing.T, opts onelogin.AuthOptions) *authEnv {
	t.Helper()
	store := apitest.NewStore(t)
	return newAuthEnvOn(t, store, apitest.NewClock(authStart), authClients, opts)
}

// newAuthEnvOn starts another server (another "process") on store.
func newAuthEnvOn(t *testing.T, store *eventstore.Store, clock *apitest.Clock, clients []onelogin.Client, opts onelogin.AuthOptions) *authEnv {
	t.Helper()
	opts.Clock = clock
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.AccountID == 0 {
		opts.AccountID = authAccountID
	}
	if opts.Limiter == nil {
		lim, err := limiter.Open(context.Background(), store.JetStream(), limiter.Options{Replicas: 1, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		opts.Limiter = lim
	}
	auth := onelogin.NewAuth(store, clients, authKey, opts)
	r := mux.NewRouter()
	auth.Register(r)
	whoami := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := onelogin.ClientFrom(r.Context())
		onelogin.WriteJSON(w, http.StatusOK, map[string]any{"ok": ok, "id": c.ID, "scope": c.Scope, "secret": c.Secret})
	})
	r.Handle("/test/manage", auth.Require(onelogin.ScopeManageAll)(whoami))
	r.Handle("/test/read", auth.Require(onelogin.ScopeReadUsers, onelogin.ScopeManageAll)(whoami))
	srv := httptest.NewServer(apitest.Audit(t, store, api.Catalogue(interaction.CoreEvents), r))
	t.Cleanup(srv.Close)
	return &authEnv{t: t, store: store, clock: clock, auth: auth, url: srv.URL}
}

// authResponse is a response with its body read.
type authResponse struct {
	status int
	header http.Header
	body   []byte
}

func (e *authEnv) post(path string, header http.Header, body string) authResponse {
	e.t.Helper()
	return e.send(http.MethodPost, path, header, body)
}

func (e *authEnv) send(method, path string, header http.Header, body string) authResponse {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return authResponse{status: res.StatusCode, header: res.Header, body: data}
}

// authBasic is the header the Python SDK sends (urllib3 make_headers).
func authBasic(id, secret string) http.Header {
	return http.Header{
		"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))},
		"Content-Type":  {"application/json"},
	}
}

const authGrantJSON = `{"grant_type": "client_credentials"}`

// authSDKToken mirrors the Python SDK's OauthToken with its strict types;
// pointers tell a missing field from a zero one.
type authSDKToken struct {
	AccessToken  *string `json:"access_token"`
	CreatedAt    *string `json:"created_at"`
	ExpiresIn    *int    `json:"expires_in"`
	RefreshToken *string `json:"refresh_token"`
	TokenType    *string `json:"token_type"`
	AccountID    *int    `json:"account_id"`
}

// authDecodeToken checks a 200 token body field by field and type by type.
func authDecodeToken(t *testing.T, res authResponse) authSDKToken {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("token: status %d, body %s", res.status, res.body)
	}
	dec := json.NewDecoder(bytes.NewReader(res.body))
	dec.DisallowUnknownFields()
	var tok authSDKToken
	if err := dec.Decode(&tok); err != nil {
		t.Fatalf("token body %s does not fit the SDK model: %v", res.body, err)
	}
	if tok.AccessToken == nil || tok.CreatedAt == nil || tok.ExpiresIn == nil || tok.RefreshToken == nil ||
		tok.TokenType == nil || tok.AccountID == nil {
		t.Fatalf("token body %s lacks a field", res.body)
	}
	if *tok.TokenType != "bearer" || *tok.RefreshToken != "deprecated" || *tok.AccountID != authAccountID {
		t.Fatalf("token body %s: want token_type bearer, refresh_token deprecated, account_id %d", res.body, authAccountID)
	}
	if len(*tok.AccessToken) < 43 {
		t.Fatalf("access_token %q is shorter than 256 bits", *tok.AccessToken)
	}
	return tok
}

func (e *authEnv) token(id, secret string) authSDKToken {
	e.t.Helper()
	return authDecodeToken(e.t, e.post(onelogin.TokenPath, authBasic(id, secret), authGrantJSON))
}

func (e *authEnv) revoke(id, secret, token string) authResponse {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"access_token": token})
	return e.post(onelogin.RevokePath, authBasic(id, secret), string(body))
}

// call makes a GET on a guarded route with the Authorization header value.
func (e *authEnv) call(path, authorization string) authResponse {
	e.t.Helper()
	h := http.Header{}
	if authorization != "" {
		h.Set("Authorization", authorization)
	}
	return e.send(http.MethodGet, path, h, "")
}

// authExpect checks a status and an exact JSON body (compared as values).
func authExpect(t *testing.T, res authResponse, status int, want string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d; body %s", res.status, status, res.body)
	}
	var got, exp any
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatalf("body %q is not JSON: %v", res.body, err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	x, _ := json.Marshal(exp)
	if !bytes.Equal(g, x) {
		t.Fatalf("body %s, want %s", g, x)
	}
}

const (
	authInvalidCredentials = `{"statusCode":401,"name":"InvalidCredentials","message":"Please provide valid credentials"}`
	authInsufficient       = `{"statusCode":401,"name":"Unauthorized","message":"Insufficient Permission"}`
	authFailureEnvelope    = `{"status":{"error":true,"code":401,"type":"Unauthorized","message":"Authentication Failure"}}`
	authRevokeSuccess      = `{"error":false,"code":200,"type":"success","message":"Success"}`
)

// authEvents returns the types of the client's token events.
func (e *authEnv) authEvents(clientID string) []eventstore.Envelope {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	envs, _, err := e.store.Load(ctx, onelogin.ClientSubject(clientID))
	if err != nil {
		e.t.Fatal(err)
	}
	return envs
}

func authTypes(envs []eventstore.Envelope) string {
	var types []string
	for _, env := range envs {
		types = append(types, env.Type)
	}
	return strings.Join(types, ",")
}
