package onelogin_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// usersError is an altErr body.
type usersError struct {
	StatusCode int    `json:"statusCode"`
	Name       string `json:"name"`
	Message    string `json:"message"`
	Details    *struct {
		Parameters []string `json:"parameters"`
	} `json:"details"`
}

func usersExpect422(t *testing.T, status int, data []byte, params ...string) usersError {
	t.Helper()
	var e usersError
	if err := json.Unmarshal(data, &e); err != nil || status != http.StatusUnprocessableEntity ||
		e.StatusCode != 422 || e.Name != "ValidationError" || e.Details == nil || !slices.Equal(e.Details.Parameters, params) {
		t.Fatalf("got %d %s, want 422 ValidationError %v", status, data, params)
	}
	return e
}

func TestUsersCreateValidation(t *testing.T) {
	e := usersNewEnv(t)
	pw := usersGoodPassword
	tests := []struct {
		name    string
		body    any
		params  []string
		message string
	}{
		{"neither email nor username", map[string]any{"firstname": "Al", "password": pw, "password_confirmation": pw},
			[]string{"email", "username"}, "email or username is required"},
		{"empty object", map[string]any{}, []string{"email", "username"}, "email or username is required"},
		{"empty body", "", []string{"email", "username"}, "email or username is required"},
		{"password mismatch", map[string]any{"username": "al", "password": pw, "password_confirmation": pw + "x"},
			[]string{"password_confirmation"}, "password_confirmation does not match password"},
		{"confirmation missing", map[string]any{"username": "al", "password": pw},
			[]string{"password_confirmation"}, "password_confirmation does not match password"},
		{"confirmation without password", map[string]any{"username": "al", "password_confirmation": pw},
			[]string{"password"}, "password is required with password_confirmation"},
		{"password policy", map[string]any{"username": "al", "password": "aaa", "password_confirmation": "aaa"},
			[]string{"password"}, "password_rejected.too_short"},
		{"password contains the username", map[string]any{"username": "alexander", "password": "alexander1", "password_confirmation": "alexander1"},
			[]string{"password"}, "password_rejected.restricted.user_info"},
		{"username policy", map[string]any{"username": "1al", "email": "al@example.com"},
			[]string{"username"}, "user.username_starts_with_number"},
		{"username charset", map[string]any{"username": "al@example.com"},
			[]string{"username"}, "user.username_invalid_charset_hard"},
		{"email shape", map[string]any{"email": "not-an-email"}, []string{"email"}, "email is invalid"},
		{"phone shape", map[string]any{"username": "al", "phone": "call me"}, []string{"phone"}, "phone must be an E.164 number"},
		{"phone too long", map[string]any{"username": "al", "phone": "+1234567890123456"}, []string{"phone"}, "E.164"},
		{"firstname too long", map[string]any{"username": "al", "firstname": strings.Repeat("a", 256)}, []string{"firstname"}, "too long"},
		{"wrong type", `{"username":"al","email":5}`, []string{"email"}, "email must be a string"},
		{"several at once", map[string]any{"username": "1al", "email": "x", "password": "aaa", "password_confirmation": "b"},
			[]string{"username", "email", "password", "password_confirmation"}, "password_rejected.too_short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, data := e.do(http.MethodPost, "/api/2/users", tt.body)
			if got := usersExpect422(t, status, data, tt.params...); !strings.Contains(got.Message, tt.message) {
				t.Errorf("message %q does not contain %q", got.Message, tt.message)
			}
		})
	}
	// Nothing was created.
	status, data := e.do(http.MethodGet, "/api/2/users/1", nil)
	if status != http.StatusNotFound {
		t.Fatalf("user 1 exists after refused creates: %s", data)
	}
}

func TestUsersCreateMalformedBody(t *testing.T) {
	e := usersNewEnv(t)
	want := `{"statusCode":400,"name":"BadRequestError","message":"The request could not be understood by the server due to malformed syntax"}`
	for _, body := range []string{`{"username":`, `not json`, `{"username":"al"}x`, `[1,2]`, `"alice"`} {
		status, data := e.do(http.MethodPost, "/api/2/users", body)
		usersExpectBody(t, status, data, http.StatusBadRequest, want)
	}
	big := `{"username":"al","firstname":"` + strings.Repeat("a", 64<<10) + `"}`
	status, data := e.do(http.MethodPost, "/api/2/users", big)
	var got usersError
	if err := json.Unmarshal(data, &got); err != nil || status != http.StatusRequestEntityTooLarge || got.StatusCode != 413 {
		t.Fatalf("oversized body: %d %s", status, data)
	}
}

func TestUsersCreateRefusesTakenIdentifiers(t *testing.T) {
	e := usersNewEnv(t)
	e.create(map[string]any{"username": "alice", "email": "alice@example.com", "phone": "+61412345678"})
	status, data := e.do(http.MethodPost, "/api/2/users", map[string]any{"username": "alice2", "email": "ALICE@example.com "})
	usersExpectBody(t, status, data, http.StatusUnprocessableEntity,
		`{"statusCode":422,"name":"ValidationError","message":"email is already in use","details":{"parameters":["email"]}}`)

	status, data = e.do(http.MethodPost, "/api/2/users", map[string]any{"username": "alice"})
	usersExpect422(t, status, data, "username")
	// The same number with a trunk zero and punctuation.
	status, data = e.do(http.MethodPost, "/api/2/users", map[string]any{"username": "bob", "phone": "+61 (0) 412-345-678"})
	usersExpect422(t, status, data, "phone")
	status, data = e.do(http.MethodPost, "/api/2/users", map[string]any{"username": "alice", "email": "alice@example.com", "phone": "61412345678"})
	usersExpect422(t, status, data, "username", "email", "phone")

	// A value registered through the Experience API is taken too.
	c := e.exp.Client(t)
	c.Do(http.MethodPut, "/api/experience", map[string]any{"interactionEvent": "Register"})
	r := c.Do(http.MethodPost, "/api/experience/verification/new-password-identity",
		map[string]any{"identifier": map[string]string{"type": "username", "value": "carol"}, "password": usersGoodPassword})
	vid, _ := r.JSON()["verificationId"].(string)
	if r = c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": vid}); r.Status != http.StatusCreated {
		t.Fatalf("experience register: %d %s", r.Status, r.Body)
	}
	status, data = e.do(http.MethodPost, "/api/2/users", map[string]any{"username": "carol"})
	usersExpect422(t, status, data, "username")
}

// Two creates with one email at once: one 201, one 422, one user.
func TestUsersConcurrentCreatesWithOneEmail(t *testing.T) {
	e := usersNewEnv(t)
	for round := range 5 {
		email := fmt.Sprintf("race%d@example.com", round)
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		bodies := make([][]byte, 2)
		start := make(chan struct{})
		for i := range 2 {
			wg.Go(func() {
				<-start
				statuses[i], bodies[i] = e.do(http.MethodPost, "/api/2/users",
					map[string]any{"email": email, "username": fmt.Sprintf("racer%d_%d", round, i)})
			})
		}
		close(start)
		wg.Wait()
		slices.Sort(statuses)
		if statuses[0] != http.StatusCreated || statuses[1] != http.StatusUnprocessableEntity {
			t.Fatalf("round %d: statuses %v: %s / %s", round, statuses, bodies[0], bodies[1])
		}
		for _, b := range bodies {
			if strings.Contains(string(b), "ValidationError") && !strings.Contains(string(b), `"parameters":["email"]`) {
				t.Fatalf("round %d: %s", round, b)
			}
		}
		status, data := e.do(http.MethodGet, "/api/2/users?email="+email, nil)
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil || status != http.StatusOK || len(list) != 1 {
			t.Fatalf("round %d: list %d %s", round, status, data)
		}
	}
}
