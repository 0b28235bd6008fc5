package experience_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/nats-io/nats.go/jetstream"
)

// Two processes on one NATS draw user ids from one counter: registrations
// through both, at once, all succeed with distinct ids (none answers 409
// for an id the other took), and no process scans the log at start.
func TestTwoProcessesRegisterWithDistinctIDs(t *testing.T) {
	one := apitest.NewServer(t, apitest.Options{})
	two := apitest.NewServer(t, apitest.Options{Store: one.Store, Clock: one.Clock})
	const each = 6
	var wg sync.WaitGroup
	for i := range 2 * each {
		srv := one
		if i%2 == 1 {
			srv = two
		}
		wg.Go(func() {
			c := apitest.NewClient(t, srv.URL)
			start(t, c, "Register")
			vid := verificationID(t, newIdentity(t, c, fmt.Sprintf("user%d", i), goodPassword))
			if r := identify(t, c, vid); r.Status != http.StatusCreated {
				t.Errorf("registration %d: %d %s", i, r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	for i := 1; i <= 2*each; i++ {
		if got := userEvents(t, one, strconv.Itoa(i)); len(got) != 1 || got[0] != "user.registered" {
			t.Fatalf("user %d: %v", i, got)
		}
	}
	if got := userEvents(t, one, strconv.Itoa(2*each+1)); len(got) != 0 {
		t.Fatalf("an id past %d was used: %v", 2*each, got)
	}
}

// On a log written before the shared counter, the first draw continues
// from the highest user id in the log.
func TestUserIDCounterSeedsFromAnOlderLog(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{})
	register(t, srv, "alice", goodPassword)
	register(t, srv, "bob", goodPassword)
	// Forget the counter, as a log from before it would have none.
	js := srv.Store.JetStream()
	kv, err := js.KeyValue(context.Background(), accounts.IDsBucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Purge(context.Background(), "last"); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get(context.Background(), "last"); err != jetstream.ErrKeyNotFound {
		t.Fatalf("counter still there: %v", err)
	}
	register(t, apitest.NewServer(t, apitest.Options{Store: srv.Store, Clock: srv.Clock}), "carol", goodPassword)
	if got := userEvents(t, srv, "3"); len(got) != 1 {
		t.Fatalf("carol is not user 3: %v", got)
	}
}
