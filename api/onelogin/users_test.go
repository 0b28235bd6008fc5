package onelogin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

func TestUsersCreateReturnsTheSDKUser(t *testing.T) {
	e := usersNewEnv(t)
	u := e.create(map[string]any{
		"email": " Alice@Example.com ", "username": "alice", "firstname": "Alice", "lastname": "Liddell",
		"phone": "+61 412 345 678", "password": usersGoodPassword, "password_confirmation": usersGoodPassword,
		"title": "ignored", "role_ids": []int{1, 2},
	})
	now := "2026-11-23T10:00:00.000Z"
	checks := []struct{ name, got, want string }{
		{"username", usersStr(u.Username), "alice"},
		{"email", usersStr(u.Email), "Alice@Example.com"},
		{"firstname", usersStr(u.Firstname), "Alice"},
		{"lastname", usersStr(u.Lastname), "Liddell"},
		{"phone", usersStr(u.Phone), "+61412345678"},
		{"created_at", usersStr(u.CreatedAt), now},
		{"updated_at", usersStr(u.UpdatedAt), now},
		{"password_changed_at", usersStr(u.PasswordChangedAt), now},
		{"last_login", usersStr(u.LastLogin), "<nil>"},
		{"locked_until", usersStr(u.LockedUntil), "<nil>"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
	if *u.Status != 1 || *u.State != 1 || *u.InvalidLoginAttempts != 0 {
		t.Errorf("status %d state %d attempts %d, want 1 1 0", *u.Status, *u.State, *u.InvalidLoginAttempts)
	}

	// GET by id answers the same body.
	status, data := e.do(http.MethodGet, "/api/2/users/"+strconv.FormatInt(*u.ID, 10), nil)
	if status != http.StatusOK {
		t.Fatalf("get: %d %s", status, data)
	}
	if got := usersDecodeSDK(t, data); *got.ID != *u.ID || usersStr(got.Email) != "Alice@Example.com" || usersStr(got.Phone) != "+61412345678" {
		t.Fatalf("get = %s", data)
	}
}

func TestUsersCreateMinimalHasNulls(t *testing.T) {
	e := usersNewEnv(t)
	u := e.create(map[string]any{"username": "bob", "email": nil, "phone": nil})
	for name, v := range map[string]*string{"email": u.Email, "firstname": u.Firstname, "lastname": u.Lastname,
		"phone": u.Phone, "password_changed_at": u.PasswordChangedAt} {
		if v != nil {
			t.Errorf("%s = %q, want null", name, *v)
		}
	}
	if *u.Status != 1 {
		t.Errorf("status = %d, want 1", *u.Status)
	}
	// Ids are positive integers shared with the Experience API.
	if next := e.create(map[string]any{"email": "carol@example.com"}); *next.ID != *u.ID+1 {
		t.Errorf("ids %d then %d", *u.ID, *next.ID)
	}
}

func TestUsersGetUnknownIs404(t *testing.T) {
	e := usersNewEnv(t)
	e.create(map[string]any{"username": "alice"})
	want := `{"statusCode":404,"name":"NotFoundError","message":"The resource with the given id could not be found"}`
	for _, id := range []string{"2", "999999", "0", "-1", "abc", "1.0", "1e3", "99999999999999999999999"} {
		status, data := e.do(http.MethodGet, "/api/2/users/"+id, nil)
		usersExpectBody(t, status, data, http.StatusNotFound, want)
	}
	if status, _ := e.do(http.MethodGet, "/api/2/users/01", nil); status != http.StatusOK {
		t.Errorf("01 = %d, want the user 1", status)
	}
}

func TestUsersListByFilters(t *testing.T) {
	e := usersNewEnv(t)
	alice := e.create(map[string]any{"username": "alice", "email": "alice@example.com"})
	e.create(map[string]any{"username": "bob", "email": "bob@example.com"})

	list := func(query string) []usersSDKUser {
		t.Helper()
		status, data := e.do(http.MethodGet, "/api/2/users"+query, nil)
		if status != http.StatusOK || len(data) == 0 || data[0] != '[' {
			t.Fatalf("list %s: %d %s", query, status, data)
		}
		var raw []json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatal(err)
		}
		out := make([]usersSDKUser, len(raw))
		for i, r := range raw {
			out[i] = usersDecodeSDK(t, r)
		}
		return out
	}
	for _, q := range []string{"?email=alice@example.com", "?email=ALICE%40example.com", "?username=alice",
		"?username=alice&email=alice@example.com", "?email=alice@example.com&firstname=ignored"} {
		if got := list(q); len(got) != 1 || *got[0].ID != *alice.ID {
			t.Errorf("%s: %d users", q, len(got))
		}
	}
	for _, q := range []string{"?email=nobody@example.com", "?username=Alice", "?username=alice&email=bob@example.com"} {
		if got := list(q); len(got) != 0 {
			t.Errorf("%s: %d users, want none", q, len(got))
		}
	}
	status, data := e.do(http.MethodGet, "/api/2/users?email=nobody@example.com", nil)
	usersExpectBody(t, status, data, http.StatusOK, `[]`)

	want := `{"statusCode":422,"name":"ValidationError","message":"A filter is required: email or username","details":{"parameters":["email","username"]}}`
	for _, q := range []string{"", "?email=", "?firstname=alice"} {
		status, data := e.do(http.MethodGet, "/api/2/users"+q, nil)
		usersExpectBody(t, status, data, http.StatusUnprocessableEntity, want)
	}
}

func TestUsersStatusAndUpdatedAtFollowTheUser(t *testing.T) {
	e := usersNewEnv(t)
	u := e.create(map[string]any{"username": "alice", "password": usersGoodPassword, "password_confirmation": usersGoodPassword})
	id := strconv.FormatInt(*u.ID, 10)
	later := time.Date(2026, 11, 24, 8, 30, 15, 123e6, time.UTC)
	err := e.store.Run(context.Background(), eventstore.Metadata{Time: later}, func(tx *eventstore.Tx) error {
		if _, err := tx.Load(context.Background(), accounts.Subject(id)); err != nil {
			return err
		}
		tx.Append(accounts.Subject(id), &user.Suspended{Reason: "test"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	status, data := e.do(http.MethodGet, "/api/2/users/"+id, nil)
	if status != http.StatusOK {
		t.Fatalf("get: %d %s", status, data)
	}
	got := usersDecodeSDK(t, data)
	if *got.Status != 2 || usersStr(got.UpdatedAt) != "2026-11-24T08:30:15.123Z" || usersStr(got.CreatedAt) != "2026-11-23T10:00:00.000Z" {
		t.Fatalf("after suspension: %s", data)
	}
}
