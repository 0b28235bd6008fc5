package eventstore_test

import (
	"slices"
	"testing"

	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/embedded"
	"github.com/authtrail/authtrail/eventstore/natstest"
)

func TestEventsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	subject := newSubject("user")

	before := natstest.RunServerWithDataDir(t, dir, true)
	nc := natstest.NewConn(t, before)
	store := natstest.OpenStore(t, nc, eventstore.Config{})
	first := appendOne(t, store, subject, 0, 0, "one")
	appendOne(t, store, subject, first.Seq, 1, "two")
	nc.Close()
	embedded.Shutdown(before)

	after := natstest.RunServerWithDataDir(t, dir, true)
	store = natstest.OpenStore(t, natstest.NewConn(t, after), eventstore.Config{})
	envs, last := mustLoad(t, store, subject)
	if got := texts(t, envs); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("after restart loaded %v, want [one two]", got)
	}
	appendOne(t, store, subject, last, 2, "three")
}
