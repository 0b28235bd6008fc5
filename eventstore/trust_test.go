package eventstore_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/eventstore"
)

// trustRig is two stores on one stream, as two processes: the reader has
// the subjects cached, then the writer appends behind its back.
type trustRig struct {
	reader, writer *eventstore.Store
	subject, other string // the command writes subject and only reads other
}

func newTrustRig(t *testing.T) trustRig {
	srv := newServer(t)
	r := trustRig{reader: srv.open(t, eventstore.Config{}), writer: srv.uncached(t),
		subject: newSubject("test"), other: newSubject("test")}
	appendOne(t, r.reader, r.subject, 0, 0, "s0")
	appendOne(t, r.reader, r.other, 0, 0, "o0")
	mustLoad(t, r.reader, r.subject)
	mustLoad(t, r.reader, r.other)
	return r
}

// appendBehind appends to subject through the writer, which the reader's
// cache does not see.
func (r trustRig) appendBehind(t *testing.T, subject, text string) {
	t.Helper()
	envs, last := mustLoad(t, r.writer, subject)
	appendOne(t, r.writer, subject, last, uint64(len(envs)), text)
}

// run runs fn on the reader and returns what each attempt read of other.
func (r trustRig) run(t *testing.T, fn func(tx *eventstore.Tx, others int) error) ([]int, error) {
	t.Helper()
	ctx := testContext(t)
	var seen []int
	err := r.reader.Run(ctx, eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		if _, err := tx.Load(ctx, r.subject); err != nil {
			return err
		}
		envs, err := tx.Load(ctx, r.other)
		if err != nil {
			return err
		}
		seen = append(seen, len(envs))
		return fn(tx, len(envs))
	})
	return seen, err
}

func (r trustRig) wantLog(t *testing.T, subject string, want ...string) {
	t.Helper()
	envs, _ := mustLoad(t, r.writer, subject)
	if got := texts(t, envs); !slices.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", subject, got, want)
	}
}

// A command decides on cached reads without asking the server; a subject it
// writes is checked by its append, a subject it only reads before it
// commits. Every way a command can end must be decided again when what it
// read from the cache had changed, and commit only what the fresh decision
// says.
func TestTrustedReadsAreCheckedBeforeTheCommit(t *testing.T) {
	accept := func(subject string) func(tx *eventstore.Tx, others int) error {
		return func(tx *eventstore.Tx, others int) error {
			tx.Append(subject, noted{Text: "saw " + strconv.Itoa(others)})
			return nil
		}
	}
	errStale := errors.New("not yet")
	for _, tc := range []struct {
		name string
		// behind is which subject the other store appends to: "subject",
		// "other" or none.
		behind string
		decide func(r trustRig) func(tx *eventstore.Tx, others int) error
		// seen is what each attempt read of the other subject; log is
		// what subject holds after (nil: not checked).
		seen []int
		log  []string
	}{
		{name: "a written subject changed", behind: "subject",
			decide: func(r trustRig) func(*eventstore.Tx, int) error { return accept(r.subject) },
			seen:   []int{1, 1}, log: []string{"s0", "s1", "saw 1"}},
		{name: "a subject only read changed", behind: "other",
			decide: func(r trustRig) func(*eventstore.Tx, int) error { return accept(r.subject) },
			seen:   []int{1, 2}, log: []string{"s0", "saw 2"}},
		{name: "a refusal decided on a changed read", behind: "other",
			decide: func(r trustRig) func(*eventstore.Tx, int) error {
				return func(tx *eventstore.Tx, others int) error {
					if others < 2 {
						tx.Failure(r.subject, failed{Text: "refused"})
						return domain.E("session.verification_failed")
					}
					return accept(r.subject)(tx, others)
				}
			},
			seen: []int{1, 2}, log: []string{"s0", "saw 2"}},
		{name: "an error decided on a changed read", behind: "other",
			decide: func(trustRig) func(*eventstore.Tx, int) error {
				return func(_ *eventstore.Tx, others int) error {
					if others < 2 {
						return errStale
					}
					return nil
				}
			},
			seen: []int{1, 2}},
		{name: "nothing changed",
			decide: func(r trustRig) func(*eventstore.Tx, int) error { return accept(r.subject) },
			seen:   []int{1}, log: []string{"s0", "saw 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTrustRig(t)
			switch tc.behind {
			case "subject":
				r.appendBehind(t, r.subject, "s1")
			case "other":
				r.appendBehind(t, r.other, "o1")
			}
			seen, err := r.run(t, tc.decide(r))
			if err != nil {
				t.Fatalf("the fresh decision succeeds, got %v", err)
			}
			if !slices.Equal(seen, tc.seen) {
				t.Errorf("attempts read %v of the other subject, want %v", seen, tc.seen)
			}
			if tc.log != nil {
				r.wantLog(t, r.subject, tc.log...)
			}
		})
	}
}

// Last and LoadState answer from the cache the same way, and are checked
// the same way.
func TestTrustedLastAndStateAreChecked(t *testing.T) {
	r := newTrustRig(t)
	ctx := testContext(t)
	f := noteFold(1)
	state := eventstore.MustSubject(f.AggregateType, domain.RandomIDs{}.NewID())
	appendOne(t, r.reader, state, 0, 0, "n0")
	loadNotes(t, r.reader, f, state)
	if _, err := r.reader.Last(ctx, r.other); err != nil {
		t.Fatal(err)
	}
	r.appendBehind(t, state, "n1")
	r.appendBehind(t, r.other, "o1")
	var lasts []string
	var folded [][]string
	err := r.reader.Run(ctx, eventstore.Metadata{}, func(tx *eventstore.Tx) error {
		if _, err := tx.Load(ctx, r.subject); err != nil {
			return err
		}
		n, _, err := eventstore.LoadState(ctx, tx, f, state)
		if err != nil {
			return err
		}
		env, err := tx.Last(ctx, r.other)
		if err != nil {
			return err
		}
		folded, lasts = append(folded, n.Texts), append(lasts, texts(t, []eventstore.Envelope{*env})[0])
		tx.Append(r.subject, noted{Text: "saw " + env.Type})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if last := lasts[len(lasts)-1]; last != "o1" {
		t.Errorf("the committed attempt read the other subject's last as %q, want o1", last)
	}
	if got := folded[len(folded)-1]; !slices.Equal(got, []string{"n0", "n1"}) {
		t.Errorf("the committed attempt folded %q, want [n0 n1]", got)
	}
	if len(lasts) < 2 {
		t.Errorf("decided %d times, want a second decision on fresh reads", len(lasts))
	}
}
