package eventstore_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
)

func TestRunCommitsAppendsAcrossSubjectsAtOnce(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{})
	user, interaction := newSubject("user"), newSubject("interaction")
	started := appendOne(t, store, interaction, 0, 0, "started")
	meta := eventstore.Metadata{Actor: "system", CorrelationID: "req-9"}

	var committed *eventstore.Tx
	err := store.Run(testContext(t), meta, func(tx *eventstore.Tx) error {
		committed = tx
		if _, err := tx.Load(testContext(t), interaction); err != nil {
			return err
		}
		tx.Append(interaction, noted{Text: "completed"})
		tx.Append(user, noted{Text: "registered"}, noted{Text: "named"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	appended := committed.Appended()
	if len(appended) != 3 {
		t.Fatalf("appended %d events, want 3", len(appended))
	}
	for i, env := range appended {
		if env.Actor != "system" || env.CorrelationID != "req-9" {
			t.Errorf("event %d metadata %+v", i, env)
		}
	}
	reader := srv.uncached(t)
	envs, _ := mustLoad(t, reader, interaction)
	if got := texts(t, envs); !slices.Equal(got, []string{"started", "completed"}) || envs[1].Seq <= started.Seq || envs[1].AggVersion != 2 {
		t.Errorf("interaction holds %v", envs)
	}
	if envs, _ := mustLoad(t, reader, user); len(envs) != 2 || envs[1].AggVersion != 2 {
		t.Errorf("user holds %v", envs)
	}
}

func TestRunRetriesOnConflictWithFreshState(t *testing.T) {
	srv := newServer(t)
	store, other := srv.open(t, eventstore.Config{}), srv.open(t, eventstore.Config{})
	subject := newSubject("interaction")
	appendOne(t, store, subject, 0, 0, "started")

	var calls int
	var seenLens []int
	err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		calls++
		envs, err := tx.Load(testContext(t), subject)
		if err != nil {
			return err
		}
		seenLens = append(seenLens, len(envs))
		if calls == 1 {
			// Another process gets in between this command's load and commit.
			appendOne(t, other, subject, envs[len(envs)-1].Seq, uint64(len(envs)), "interloper")
		}
		tx.Append(subject, noted{Text: "decided"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || !slices.Equal(seenLens, []int{1, 2}) {
		t.Fatalf("fn ran %d times seeing %v events, want 2 runs seeing [1 2]", calls, seenLens)
	}
	envs, _ := mustLoad(t, srv.uncached(t), subject)
	if got := texts(t, envs); !slices.Equal(got, []string{"started", "interloper", "decided"}) {
		t.Fatalf("stored %v", got)
	}
}

func TestRunGivesUpAfterFiveConflicts(t *testing.T) {
	srv := newServer(t)
	store, other := srv.open(t, eventstore.Config{}), srv.open(t, eventstore.Config{})
	subject := newSubject("interaction")

	var calls int
	err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		calls++
		envs, err := tx.Load(testContext(t), subject)
		if err != nil {
			return err
		}
		var last uint64
		if len(envs) > 0 {
			last = envs[len(envs)-1].Seq
		}
		appendOne(t, other, subject, last, uint64(len(envs)), "interloper")
		tx.Append(subject, noted{Text: "never"})
		return nil
	})
	if !errors.Is(err, eventstore.ErrConflict) || calls != 5 {
		t.Fatalf("got %v after %d runs, want ErrConflict after 5", err, calls)
	}
}

// The commit rule: a refused command commits its failure trail and the
// kept events, never its success events, in the order they were appended.
func TestRunCommitsOnlyTheFailureTrailOfARefusal(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	interaction, guard := newSubject("interaction"), newSubject("sentinel")
	refused := domain.E("session.verification_failed")

	err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		if _, err := tx.Load(testContext(t), interaction); err != nil {
			return err
		}
		tx.Append(interaction, noted{Text: "verified"})
		tx.Keep(interaction, staged{Text: "profile"})
		tx.Failure(guard, failed{Text: "attempt"})
		tx.Failure(interaction, failed{Text: "request"})
		tx.Append(guard, noted{Text: "never"})
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("got %v, want the business error", err)
	}
	if got := types(t, store, interaction); !slices.Equal(got, []string{"test.staged", "test.failed"}) {
		t.Errorf("interaction holds %v, want the kept then the failure event", got)
	}
	if got := types(t, store, guard); !slices.Equal(got, []string{"test.failed"}) {
		t.Errorf("sentinel holds %v, want the failure event", got)
	}
}

func TestRunCommitsSuccessAndKeptEventsOnSuccess(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	subject := newSubject("interaction")
	err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		tx.Keep(subject, staged{Text: "profile"})
		tx.Append(subject, noted{Text: "registered"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := types(t, store, subject); !slices.Equal(got, []string{"test.staged", "test.noted"}) {
		t.Errorf("stored %v", got)
	}
}

// A success may not commit a refusal's trail, and only failure events go
// on it: both mistakes fail the command and commit nothing.
func TestRunRefusesMisfiledEvents(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	tests := []struct {
		name string
		fn   func(tx *eventstore.Tx, subject string) error
		want error
	}{
		{"failure events on success", func(tx *eventstore.Tx, subject string) error {
			tx.Append(subject, noted{Text: "ok"})
			tx.Failure(subject, failed{Text: "attempt"})
			return nil
		}, eventstore.ErrFailureOnSuccess},
		{"a success event as failure", func(tx *eventstore.Tx, subject string) error {
			tx.Failure(subject, noted{Text: "verified"})
			return domain.E("session.verification_failed")
		}, nil},
		{"a success event as kept", func(tx *eventstore.Tx, subject string) error {
			tx.Keep(subject, noted{Text: "verified"})
			return domain.E("session.verification_failed")
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject := newSubject("interaction")
			err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error { return tt.fn(tx, subject) })
			if _, business := domain.AsError(err); err == nil || business || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want a commit error %v", err, tt.want)
			}
			if got := types(t, store, subject); len(got) != 0 {
				t.Fatalf("stored %v, want nothing", got)
			}
		})
	}
}

// A forced conflict is a real refusal by the server: the command is
// decided again and its events are stored once.
func TestRunForcedConflictDecidesAgain(t *testing.T) {
	srv := newServer(t)
	store := srv.open(t, eventstore.Config{ForceConflicts: func(attempt int) bool { return attempt == 1 }})
	one, two := newSubject("interaction"), newSubject("user")
	for _, batch := range []bool{false, true} {
		calls := 0
		err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
			calls++
			if _, err := tx.Load(testContext(t), one); err != nil {
				return err
			}
			tx.Append(one, noted{Text: "decided"})
			if batch {
				tx.Append(two, noted{Text: "decided"})
			}
			return nil
		})
		if err != nil || calls != 2 {
			t.Fatalf("batch %v: Run = %v after %d calls, want success after 2", batch, err, calls)
		}
	}
	if got := types(t, srv.uncached(t), one); len(got) != 2 {
		t.Fatalf("stored %v, want one event per command", got)
	}
}

func TestRunCommitsNothingOnOtherErrors(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	subject := newSubject("interaction")
	boom := errors.New("boom")

	err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		tx.Append(subject, noted{Text: "half-done"})
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if envs, _ := mustLoad(t, store, subject); len(envs) != 0 {
		t.Fatalf("stored %d events, want none", len(envs))
	}
}

func TestRunWithoutAppendsWritesNothing(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	subject := newSubject("interaction")
	var tx *eventstore.Tx
	err := store.Run(testContext(t), eventstore.Metadata{}, func(t2 *eventstore.Tx) error {
		tx = t2
		_, err := t2.Load(context.Background(), subject)
		return err
	})
	if err != nil || tx.Appended() != nil {
		t.Fatalf("Run = %v, appended %v", err, tx.Appended())
	}
}

func TestRunFailsOnInvalidSubject(t *testing.T) {
	store := newServer(t).open(t, eventstore.Config{})
	err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		tx.Append("events.user.*", noted{})
		return nil
	})
	if !errors.Is(err, eventstore.ErrInvalidSubject) {
		t.Fatalf("got %v, want ErrInvalidSubject", err)
	}
}

// Unique values are claimed on a subject of their own, read with Last: of
// two commands claiming one username, one wins and the other, retried,
// sees the claim and refuses with a business error.
func TestRunUniqueClaimHasOneWinner(t *testing.T) {
	srv := newServer(t)
	claim := newSubject("uniq")
	taken := domain.E("user.username_already_in_use")

	const contenders = 6
	var wg sync.WaitGroup
	var winners, refused atomic.Int32
	for i := range contenders {
		store := srv.open(t, eventstore.Config{})
		user := newSubject("user")
		wg.Go(func() {
			err := store.Run(testContext(t), eventstore.Metadata{}, func(tx *eventstore.Tx) error {
				_, err := tx.Last(testContext(t), claim)
				switch {
				case err == nil:
					return taken
				case !errors.Is(err, eventstore.ErrNotFound):
					return err
				}
				tx.AppendWithID(claim, "claim-"+user[len("events.user."):], noted{Text: "claimed"})
				tx.Append(user, noted{Text: "registered"})
				return nil
			})
			switch {
			case err == nil:
				winners.Add(1)
			case errors.Is(err, taken):
				refused.Add(1)
			default:
				t.Errorf("contender %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if winners.Load() != 1 || refused.Load() != contenders-1 {
		t.Fatalf("%d winners and %d refused, want 1 and %d", winners.Load(), refused.Load(), contenders-1)
	}
	if envs, _ := mustLoad(t, srv.uncached(t), claim); len(envs) != 1 {
		t.Fatalf("claim subject holds %d events, want 1", len(envs))
	}
}
