package eventstore_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
)

// used is a claim: the one use of a credential, by the request use.
type used struct {
	Use string `json:"use"`
}

func (used) EventType() string   { return "test.used" }
func (u used) ClaimedBy() string { return u.Use }

// claimedBy reports whether the loaded history holds the claim of use.
func claimedBy(t testing.TB, envs []eventstore.Envelope, use string) bool {
	t.Helper()
	for _, env := range envs {
		var u used
		if env.Type == "test.used" {
			if err := json.Unmarshal(env.Data, &u); err != nil {
				t.Fatal(err)
			}
			if u.Use == use {
				return true
			}
		}
	}
	return false
}

// verifyOnce is a command shaped like an MFA verify: claim the use on the
// user unless this request already did, then record the success on the
// interaction.
func verifyOnce(t testing.TB, user, interaction, use string, before func(tx *eventstore.Tx, attempt int)) func(tx *eventstore.Tx) error {
	attempt := 0
	return func(tx *eventstore.Tx) error {
		attempt++
		envs, err := tx.Load(testContext(t), user)
		if err != nil {
			return err
		}
		if _, err := tx.Load(testContext(t), interaction); err != nil {
			return err
		}
		if before != nil {
			before(tx, attempt)
		}
		if !claimedBy(t, envs, use) {
			tx.Claim(user, used{Use: use})
		}
		tx.Append(interaction, noted{Text: "verified"})
		return nil
	}
}

func TestClaimCommitsAheadOfTheRest(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{})
	user, interaction := newSubject("user"), newSubject("interaction")
	appendOne(t, store, interaction, 0, 0, "started")

	var tx *eventstore.Tx
	fn := verifyOnce(t, user, interaction, "req-1", nil)
	if err := store.Run(testContext(t), eventstore.Metadata{}, func(t *eventstore.Tx) error { tx = t; return fn(t) }); err != nil {
		t.Fatal(err)
	}
	appended := tx.Appended()
	if len(appended) != 2 || appended[0].Subject != user || appended[1].Subject != interaction || appended[0].Seq >= appended[1].Seq {
		t.Fatalf("appended %+v, want the claim on the user, then the interaction's event", appended)
	}
	if got := types(t, srv.uncached(t), user); !slices.Equal(got, []string{"test.used"}) {
		t.Errorf("user holds %v", got)
	}
}

// The rest conflicts after the claim committed: the claim stays, the
// command decided again finds it, and nothing is written twice. Forced
// conflicts hit the rest, so every test server runs this path.
func TestClaimStandsWhenTheRestConflicts(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{ForceConflicts: func(attempt int) bool { return attempt == 1 }})
	user, interaction := newSubject("user"), newSubject("interaction")
	appendOne(t, store, interaction, 0, 0, "started")

	runs := 0
	fn := verifyOnce(t, user, interaction, "req-1", func(*eventstore.Tx, int) { runs++ })
	if err := store.Run(testContext(t), eventstore.Metadata{}, fn); err != nil {
		t.Fatal(err)
	}
	reader := srv.uncached(t)
	if got := types(t, reader, user); !slices.Equal(got, []string{"test.used"}) {
		t.Errorf("user holds %v, want one claim", got)
	}
	if got := types(t, reader, interaction); !slices.Equal(got, []string{"test.noted", "test.noted"}) || runs != 2 {
		t.Errorf("interaction holds %v after %d runs, want started and verified after 2", got, runs)
	}
}

// A claim that loses the race commits nothing: the rest waits for it.
func TestClaimThatConflictsCommitsNothing(t *testing.T) {
	srv := newServer(t)
	store, other := srv.open(t, eventstore.Config{}), srv.open(t, eventstore.Config{})
	user, interaction := newSubject("user"), newSubject("interaction")
	appendOne(t, store, interaction, 0, 0, "started")

	fn := verifyOnce(t, user, interaction, "req-1", func(_ *eventstore.Tx, attempt int) {
		if attempt == 1 {
			// Another request uses the credential first.
			if _, err := other.Append(testContext(t), eventstore.Metadata{}, eventstore.Write{Subject: user,
				Events: []eventstore.Pending{{Event: used{Use: "req-2"}}}}); err != nil {
				t.Fatal(err)
			}
		}
	})
	if err := store.Run(testContext(t), eventstore.Metadata{}, fn); err != nil {
		t.Fatal(err)
	}
	reader := srv.uncached(t)
	envs, _ := mustLoad(t, reader, user)
	if len(envs) != 2 || !claimedBy(t, envs[:1], "req-2") || !claimedBy(t, envs[1:], "req-1") {
		t.Errorf("user holds %v, want the other claim, then this one's", envs)
	}
	if got := types(t, reader, interaction); len(got) != 2 {
		t.Errorf("interaction holds %v, want started and one verified", got)
	}
}

func TestClaimCommitsNothingWithARefusal(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	user, guard := newSubject("user"), newSubject("sentinel")
	refused := domain.E("session.mfa.invalid_totp_code")
	err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		tx.Claim(user, used{Use: "req-1"})
		tx.Failure(guard, failed{Text: "attempt"})
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("got %v", err)
	}
	if envs, _ := mustLoad(t, store, user); len(envs) != 0 {
		t.Errorf("user holds %v, want nothing", envs)
	}
}

func TestClaimRefusesAnEventThatClaimsNothing(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		tx.Claim(newSubject("user"), noted{Text: "not a claim"})
		return nil
	})
	if err == nil {
		t.Fatal("committed a claim that is no domain.Claim")
	}
}

// Claims on two subjects commit as two appends, in the order claimed, then
// the rest; a claim with an id, appended again by the command decided
// again, is found stored rather than written twice.
func TestClaimsCommitInOrderAndOnce(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{ForceConflicts: func(attempt int) bool { return attempt == 1 }})
	limit, outbox, interaction := newSubject("ratelimit"), newSubject("delivery"), newSubject("interaction")
	runs := 0
	err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		runs++
		envs, err := tx.Load(testContext(t), limit)
		if err != nil {
			return err
		}
		if !claimedBy(t, envs, "send-1") {
			tx.Claim(limit, used{Use: "send-1"})
		}
		tx.ClaimWithID(outbox, "send-1-requested", used{Use: "send-1"})
		tx.Append(interaction, noted{Text: "requested"})
		return nil
	})
	if err != nil || runs != 2 {
		t.Fatalf("got %v after %d runs, want success after 2", err, runs)
	}
	reader := srv.uncached(t)
	var seqs []uint64
	for _, subject := range []string{limit, outbox, interaction} {
		envs, _ := mustLoad(t, reader, subject)
		if len(envs) != 1 {
			t.Fatalf("%s holds %d events, want 1", subject, len(envs))
		}
		seqs = append(seqs, envs[0].Seq)
	}
	if !slices.IsSorted(seqs) {
		t.Errorf("stored at %v, want the order claimed, then the rest", seqs)
	}
}
