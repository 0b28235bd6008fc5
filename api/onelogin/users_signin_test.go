package onelogin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/user"
)

// usersSignIn runs a password sign-in through the Experience API.
func usersSignIn(t *testing.T, e *usersEnv, idType, value, pw string) *apitest.Response {
	t.Helper()
	c := e.exp.Client(t)
	if r := c.Do(http.MethodPut, "/api/experience", map[string]any{"interactionEvent": "SignIn"}); r.Status != http.StatusNoContent {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	r := c.Do(http.MethodPost, "/api/experience/verification/password",
		map[string]any{"identifier": map[string]string{"type": idType, "value": value}, "password": pw})
	if r.Status != http.StatusOK {
		return r
	}
	vid, _ := r.JSON()["verificationId"].(string)
	if r := c.Do(http.MethodPost, "/api/experience/identification", map[string]any{"verificationId": vid}); r.Status != http.StatusNoContent {
		t.Fatalf("identification: %d %s", r.Status, r.Body)
	}
	return c.Do(http.MethodPost, "/api/experience/submit", nil)
}

func TestUsersCreatedUserSignsInThroughTheExperienceAPI(t *testing.T) {
	e := usersNewEnv(t)
	e.create(map[string]any{"username": "alice", "email": "Alice@Example.com",
		"password": usersGoodPassword, "password_confirmation": usersGoodPassword})
	for _, id := range []struct{ typ, value string }{{"username", "alice"}, {"email", "alice@example.com"}} {
		r := usersSignIn(t, e, id.typ, id.value, usersGoodPassword)
		if r.Status != http.StatusOK || !strings.Contains(r.JSON()["redirectTo"].(string), "interaction=") {
			t.Fatalf("sign-in by %s: %d %s", id.typ, r.Status, r.Body)
		}
	}
	if r := usersSignIn(t, e, "username", "alice", usersGoodPassword+"x"); r.Status != http.StatusUnprocessableEntity ||
		r.Code() != "session.invalid_credentials" {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}
}

func TestUsersCreateWritesClaimsAndNoCleartextPassword(t *testing.T) {
	e := usersNewEnv(t)
	u := e.create(map[string]any{"username": "alice", "email": "Alice@Example.com", "phone": "+61 412 345 678",
		"firstname": "Alice", "lastname": "Liddell", "password": usersGoodPassword, "password_confirmation": usersGoodPassword})
	id := strconv.FormatInt(*u.ID, 10)

	ctx := context.Background()
	envs, _, err := e.store.Load(ctx, accounts.Subject(id))
	if err != nil || len(envs) != 1 || envs[0].Type != "user.registered" {
		t.Fatalf("user events: %v %v", envs, err)
	}
	var reg user.Registered
	if err := json.Unmarshal(envs[0].Data, &reg); err != nil {
		t.Fatal(err)
	}
	if reg.UserID != id || reg.Username != "alice" || reg.PrimaryEmail != "Alice@Example.com" || reg.PrimaryPhone != "61412345678" ||
		reg.Name != "Alice Liddell" || reg.Profile["givenName"] != "Alice" || reg.Profile["familyName"] != "Liddell" {
		t.Errorf("registered = %+v", reg)
	}
	if !strings.HasPrefix(reg.PasswordDigest, "$argon2id$") {
		t.Errorf("digest %q is not argon2id", reg.PasswordDigest)
	}
	all := string(envs[0].Data)
	for _, c := range []struct{ kind, key string }{
		{user.KindUsername, "alice"}, {user.KindEmail, "alice@example.com"}, {user.KindPhone, "61412345678"},
	} {
		claims, _, err := e.store.Load(ctx, accounts.ClaimSubject(c.kind, c.key))
		if err != nil || len(claims) != 1 || claims[0].Type != "claim.identifier.claimed" {
			t.Fatalf("%s claim: %v %v", c.kind, claims, err)
		}
		var claimed user.IdentifierClaimed
		if err := json.Unmarshal(claims[0].Data, &claimed); err != nil || claimed.UserID != id || claimed.Kind != c.kind {
			t.Errorf("%s claim = %s", c.kind, claims[0].Data)
		}
		// One atomic append: the claims follow user.registered directly.
		if d := claims[0].Seq - envs[0].Seq; claims[0].Seq < envs[0].Seq || d > 3 || claims[0].CorrelationID != envs[0].CorrelationID {
			t.Errorf("%s claim at seq %d, user.registered at %d", c.kind, claims[0].Seq, envs[0].Seq)
		}
		all += string(claims[0].Data)
	}
	if strings.Contains(all, usersGoodPassword) {
		t.Fatalf("the cleartext password is in the log: %s", all)
	}
	// The response never carries the password or its digest.
	status, data := e.do(http.MethodGet, "/api/2/users/"+id, nil)
	if status != http.StatusOK || strings.Contains(string(data), usersGoodPassword) || strings.Contains(string(data), "argon2") ||
		strings.Contains(string(data), "password\"") {
		t.Fatalf("get: %d %s", status, data)
	}
}
