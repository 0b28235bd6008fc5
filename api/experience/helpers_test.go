package experience_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

const goodPassword = "Secr3t!pass"

// expect fails the test unless r has status and, when code is not "", that error code.
func expect(t *testing.T, r *apitest.Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.Code() != code {
		t.Fatalf("got %d %q (%s), want %d %q", r.Status, r.Code(), r.Body, status, code)
	}
}

func start(t *testing.T, c *apitest.Client, event string) {
	t.Helper()
	expect(t, c.Do(http.MethodPut, "/api/experience", map[string]any{"interactionEvent": event}), http.StatusNoContent, "")
}

func verificationID(t *testing.T, r *apitest.Response) string {
	t.Helper()
	expect(t, r, http.StatusOK, "")
	id, _ := r.JSON()["verificationId"].(string)
	if !domain.IsID(id) {
		t.Fatalf("verificationId %q is not a standard id", id)
	}
	return id
}

func newIdentity(t *testing.T, c *apitest.Client, name, pw string) *apitest.Response {
	t.Helper()
	return c.Do(http.MethodPost, "/api/experience/verification/new-password-identity",
		map[string]any{"identifier": map[string]string{"type": "username", "value": name}, "password": pw})
}

func verifyPassword(t *testing.T, c *apitest.Client, name, pw string) *apitest.Response {
	t.Helper()
	return c.Do(http.MethodPost, "/api/experience/verification/password",
		map[string]any{"identifier": map[string]string{"type": "username", "value": name}, "password": pw})
}

func identify(t *testing.T, c *apitest.Client, vid string) *apitest.Response {
	t.Helper()
	body := map[string]any{}
	if vid != "" {
		body["verificationId"] = vid
	}
	return c.Do(http.MethodPost, "/api/experience/identification", body)
}

func submit(t *testing.T, c *apitest.Client) *apitest.Response {
	t.Helper()
	return c.Do(http.MethodPost, "/api/experience/submit", nil)
}

// register creates a user through the API and returns the client.
func register(t *testing.T, srv *apitest.Server, name, pw string) *apitest.Client {
	t.Helper()
	c := srv.Client(t)
	start(t, c, "Register")
	expect(t, identify(t, c, verificationID(t, newIdentity(t, c, name, pw))), http.StatusCreated, "")
	expect(t, submit(t, c), http.StatusOK, "")
	return c
}

// signIn runs a full password sign-in and returns the client.
func signIn(t *testing.T, srv *apitest.Server, name, pw string) *apitest.Client {
	t.Helper()
	c := srv.Client(t)
	start(t, c, "SignIn")
	expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, name, pw))), http.StatusNoContent, "")
	expect(t, submit(t, c), http.StatusOK, "")
	return c
}

func interactionEvents(t *testing.T, srv *apitest.Server, c *apitest.Client) []string {
	t.Helper()
	return srv.EventTypes(t, eventstore.MustSubject(interaction.AggregateType, c.InteractionID()))
}

func userEvents(t *testing.T, srv *apitest.Server, userID string) []string {
	t.Helper()
	return srv.EventTypes(t, eventstore.MustSubject(user.AggregateType, userID))
}

// suspend appends a suspension to a user, as an admin tool would.
func suspend(t *testing.T, srv *apitest.Server, userID string) {
	t.Helper()
	subject := eventstore.MustSubject(user.AggregateType, userID)
	err := srv.Store.Run(context.Background(), eventstore.Metadata{Actor: "test"}, func(tx *eventstore.Tx) error {
		if _, err := tx.Load(context.Background(), subject); err != nil {
			return err
		}
		tx.Append(subject, &user.Suspended{Reason: "test"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func last(events []string) string {
	if len(events) == 0 {
		return ""
	}
	return events[len(events)-1]
}
