package onelogin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/gorilla/mux"
)

const usersGoodPassword = "Secr3t!pass"

// usersEnv is the Users API and the Experience API over one event store.
type usersEnv struct {
	t     *testing.T
	store *eventstore.Store
	url   string
	exp   *apitest.Server
}

// usersSettings: the demo sign-in experience, plus email and password sign-in.
func usersSettings() *settings.SignInExperience {
	sie := settings.Default()
	sie.SignIn.Methods = append(sie.SignIn.Methods, settings.SignInMethod{Identifier: settings.IdentifierEmail, Password: true})
	return &sie
}

func usersNewEnv(t *testing.T) *usersEnv {
	t.Helper()
	store := apitest.NewStore(t)
	sie := usersSettings()
	exp := apitest.NewServer(t, apitest.Options{Store: store, Settings: sie})
	users, err := accounts.Open(context.Background(), store, sie.UsernamePolicy)
	if err != nil {
		t.Fatal(err)
	}
	usersAPI := onelogin.NewUsersAPI(onelogin.UsersDeps{Store: store, Users: users, Hasher: apitest.CheapHasher(), Settings: sie, Clock: exp.Clock})
	r := mux.NewRouter()
	usersAPI.Register(r)
	ts := httptest.NewServer(apitest.Audit(t, store, api.Catalogue(interaction.CoreEvents), r))
	t.Cleanup(ts.Close)
	return &usersEnv{t: t, store: store, url: ts.URL, exp: exp}
}

// do sends body (JSON-encoded unless a string or nil) and returns the status and body.
func (e *usersEnv) do(method, path string, body any) (int, []byte) {
	e.t.Helper()
	r := apitest.NewClient(e.t, e.url).Do(method, path, body)
	return r.Status, r.Body
}

// create posts a user and expects 201.
func (e *usersEnv) create(body map[string]any) usersSDKUser {
	e.t.Helper()
	status, data := e.do(http.MethodPost, "/api/2/users", body)
	if status != http.StatusCreated {
		e.t.Fatalf("create: %d %s", status, data)
	}
	return usersDecodeSDK(e.t, data)
}

// usersSDKUser is onelogin-python-sdk's User with its strict types: a JSON
// value of another type fails to decode (e.g. "1" for id, 1.5 for status).
type usersSDKUser struct {
	ID                   *int64  `json:"id"`
	Username             *string `json:"username"`
	Email                *string `json:"email"`
	Firstname            *string `json:"firstname"`
	Lastname             *string `json:"lastname"`
	Phone                *string `json:"phone"`
	State                *int    `json:"state"`
	Status               *int    `json:"status"`
	CreatedAt            *string `json:"created_at"`
	UpdatedAt            *string `json:"updated_at"`
	LastLogin            *string `json:"last_login"`
	PasswordChangedAt    *string `json:"password_changed_at"`
	LockedUntil          *string `json:"locked_until"`
	InvalidLoginAttempts *int    `json:"invalid_login_attempts"`
}

// usersModelKeys are the keys every user body carries (null when absent).
var usersModelKeys = []string{"id", "username", "email", "firstname", "lastname", "phone", "status", "state",
	"created_at", "updated_at", "last_login", "password_changed_at", "locked_until", "invalid_login_attempts"}

// usersDecodeSDK decodes strictly and checks the keys, the enums and the dates.
func usersDecodeSDK(t *testing.T, data []byte) usersSDKUser {
	t.Helper()
	var u usersSDKUser
	if err := json.Unmarshal(data, &u); err != nil {
		t.Fatalf("not an SDK User: %v: %s", err, data)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(usersModelKeys) {
		t.Errorf("keys = %d, want %v: %s", len(keys), usersModelKeys, data)
	}
	for _, k := range usersModelKeys {
		if _, ok := keys[k]; !ok {
			t.Errorf("key %q missing: %s", k, data)
		}
	}
	if u.ID == nil || *u.ID <= 0 || u.Status == nil || u.State == nil || u.InvalidLoginAttempts == nil {
		t.Fatalf("id, status, state and invalid_login_attempts must be set: %s", data)
	}
	if s := *u.Status; s < 0 || s > 8 || s == 6 {
		t.Errorf("status %d outside the SDK enum", s)
	}
	if s := *u.State; s < 0 || s > 3 {
		t.Errorf("state %d outside the SDK enum", s)
	}
	for _, d := range []*string{u.CreatedAt, u.UpdatedAt, u.LastLogin, u.PasswordChangedAt, u.LockedUntil} {
		if d != nil {
			if _, err := time.Parse(time.RFC3339, *d); err != nil {
				t.Errorf("date %q is not RFC 3339: %v", *d, err)
			}
		}
	}
	return u
}

func usersStr(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// usersExpectBody fails unless the answer has status and exactly the JSON body want.
func usersExpectBody(t *testing.T, status int, data []byte, wantStatus int, want string) {
	t.Helper()
	if status != wantStatus || string(bytes.TrimSpace(data)) != want {
		t.Fatalf("got %d %s\nwant %d %s", status, data, wantStatus, want)
	}
}
