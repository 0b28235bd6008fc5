package experience_test

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
)

func TestSubmitSignIn(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	register(t, srv, "alice", goodPassword)
	c := srv.Client(t)
	start(t, c, "SignIn")
	expect(t, submit(t, c), http.StatusNotFound, "session.identifier_not_found")
	expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, "alice", goodPassword))), http.StatusNoContent, "")
	r := submit(t, c)
	expect(t, r, http.StatusOK, "")
	want := "http://localhost:3000/callback?interaction=" + c.InteractionID()
	if got := r.JSON()["redirectTo"]; got != want {
		t.Fatalf("redirectTo = %v, want %s", got, want)
	}
	if got := interactionEvents(t, srv, c); !equal(got, []string{"interaction.started", "interaction.request.failed",
		"interaction.password.verified", "interaction.identified", "interaction.submitted"}) {
		t.Fatalf("events = %v", got)
	}
	expect(t, submit(t, c), http.StatusBadRequest, "session.not_found")
}

func TestRegisterWritesTheUser(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	c := register(t, srv, "alice", goodPassword)
	if got := interactionEvents(t, srv, c); !equal(got, []string{"interaction.started", "interaction.new_password_identity.verified",
		"interaction.profile.staged", "interaction.user.registered", "interaction.submitted"}) {
		t.Fatalf("interaction events = %v", got)
	}
	if got := userEvents(t, srv, "1"); !equal(got, []string{"user.registered"}) {
		t.Fatalf("user events = %v", got)
	}
	signIn(t, srv, "alice", goodPassword)
}

// Two submits of one interaction at once: exactly one sign-in.
func TestConcurrentSubmit(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	register(t, srv, "alice", goodPassword)
	for round := 0; round < 5; round++ {
		c := srv.Client(t)
		start(t, c, "SignIn")
		expect(t, identify(t, c, verificationID(t, verifyPassword(t, c, "alice", goodPassword))), http.StatusNoContent, "")
		statuses := race(2, func(int) *apitest.Response { return submit(t, c) })
		if !equal(statuses, []string{"200 ", "400 session.not_found"}) {
			t.Fatalf("round %d: statuses = %v", round, statuses)
		}
		submitted := 0
		for _, ev := range interactionEvents(t, srv, c) {
			if ev == "interaction.submitted" {
				submitted++
			}
		}
		if submitted != 1 {
			t.Fatalf("round %d: %d submitted events", round, submitted)
		}
	}
}

// Two registrations racing for one username: one user, one 422.
func TestConcurrentRegistration(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	for round := 0; round < 5; round++ {
		name := "racer" + string(rune('a'+round))
		clients := []*apitest.Client{srv.Client(t), srv.Client(t)}
		vids := make([]string, 2)
		for i, c := range clients {
			start(t, c, "Register")
			vids[i] = verificationID(t, newIdentity(t, c, name, goodPassword))
		}
		statuses := race(2, func(i int) *apitest.Response { return identify(t, clients[i], vids[i]) })
		if !equal(statuses, []string{"201 ", "422 user.username_already_in_use"}) {
			t.Fatalf("round %d: statuses = %v", round, statuses)
		}
	}
	// Five users, each registered exactly once (a losing attempt leaves a
	// gap in the ids, never a user).
	users := 0
	for id := 1; id <= 10; id++ {
		switch got := userEvents(t, srv, strconv.Itoa(id)); {
		case equal(got, []string{"user.registered"}):
			users++
		case len(got) != 0:
			t.Fatalf("user %d events = %v", id, got)
		}
	}
	if users != 5 {
		t.Fatalf("%d users, want 5", users)
	}
}

// race runs n requests at once and returns "status code" strings, sorted.
func race(n int, do func(i int) *apitest.Response) []string {
	var wg sync.WaitGroup
	out := make([]string, n)
	ready := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-ready
			r := do(i)
			out[i] = fmt.Sprintf("%d %s", r.Status, r.Code())
		}(i)
	}
	close(ready)
	wg.Wait()
	sort.Strings(out)
	return out
}
