package experience_test

import (
	"net/http"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/eventstore/embedded"
	"github.com/authtrail/authtrail/eventstore/natstest"
)

// Events survive a restart on the same data dir, and an interaction begun
// before it completes after it.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	ns := natstest.RunServerWithDataDir(t, dir, true)
	first := apitest.NewServer(t, apitest.Options{Store: natstest.OpenStore(t, natstest.NewConn(t, ns), apitest.StoreConfig())})
	register(t, first, "alice", goodPassword)
	c := first.Client(t)
	start(t, c, "SignIn")
	vid := verificationID(t, verifyPassword(t, c, "alice", goodPassword))
	first.Close()
	embedded.Shutdown(ns)

	ns = natstest.RunServerWithDataDir(t, dir, true)
	second := apitest.NewServer(t, apitest.Options{Store: natstest.OpenStore(t, natstest.NewConn(t, ns), apitest.StoreConfig()), Clock: first.Clock})
	c.Base = second.URL
	expect(t, identify(t, c, vid), http.StatusNoContent, "")
	expect(t, submit(t, c), http.StatusOK, "")
	if got := userEvents(t, second, "1"); !equal(got, []string{"user.registered"}) {
		t.Fatalf("user events after restart = %v", got)
	}
	// New users continue the ids after a restart.
	register(t, second, "bob", goodPassword)
	if got := userEvents(t, second, "2"); !equal(got, []string{"user.registered"}) {
		t.Fatalf("second user = %v", got)
	}
}
