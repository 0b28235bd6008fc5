package apitest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

// User folds the user id from the log.
func (s *Server) User(t testing.TB, id string) user.State {
	t.Helper()
	envs, _, err := s.Store.Load(context.Background(), accounts.Subject(id))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := eventstore.Decode(envs, user.Events)
	if err != nil {
		t.Fatal(err)
	}
	return user.Fold(evs)
}

// UserByEmail folds the user who claimed email.
func (s *Server) UserByEmail(t testing.TB, email string) user.State {
	t.Helper()
	envs, _, err := s.Store.Load(context.Background(), accounts.ClaimSubject(user.KindEmail, user.NormalizeEmail(email)))
	if err != nil || len(envs) == 0 {
		t.Fatalf("apitest: no claim of %s: %v", email, err)
	}
	last := envs[len(envs)-1]
	ev, err := user.ClaimEvents.Decode(last.Type, last.Data)
	if err != nil {
		t.Fatal(err)
	}
	return s.User(t, ev.(*user.IdentifierClaimed).UserID)
}

// RegisteredUser is the id of the user the client's interaction
// registered.
func (s *Server) RegisteredUser(t testing.TB, c *Client) string {
	t.Helper()
	envs, _, err := s.Store.Load(context.Background(), eventstore.MustSubject(interaction.AggregateType, c.InteractionID()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range envs {
		if e.Type == (interaction.UserRegistered{}).EventType() {
			var ev interaction.UserRegistered
			if err := json.Unmarshal(e.Data, &ev); err != nil {
				t.Fatal(err)
			}
			return ev.UserID
		}
	}
	t.Fatal("apitest: no user registered")
	return ""
}
