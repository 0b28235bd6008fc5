package eventstore_test

import (
	"errors"
	"testing"

	"github.com/authtrail/authtrail/eventstore"
)

func TestSubject(t *testing.T) {
	got, err := eventstore.Subject("interaction", "01j9z_ab-C")
	if err != nil || got != "events.interaction.01j9z_ab-C" {
		t.Fatalf("Subject = %q, %v", got, err)
	}
	aggType, id, err := eventstore.ParseSubject(got)
	if err != nil || aggType != "interaction" || id != "01j9z_ab-C" {
		t.Fatalf("ParseSubject = %q, %q, %v", aggType, id, err)
	}
}

func TestSubjectRejectsTokensThatChangeItsShape(t *testing.T) {
	for _, tc := range [][2]string{
		{"", "id"}, {"user", ""}, {"user", "a.b"}, {"user", "*"}, {"user", ">"},
		{"us er", "id"}, {"user", "id\n"}, {"user.x", "id"}, {"user", "é"},
	} {
		if _, err := eventstore.Subject(tc[0], tc[1]); !errors.Is(err, eventstore.ErrInvalidSubject) {
			t.Errorf("Subject(%q, %q): got %v, want ErrInvalidSubject", tc[0], tc[1], err)
		}
	}
}

func TestMustSubjectPanicsOnInvalidTokens(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustSubject did not panic")
		}
	}()
	eventstore.MustSubject("user", "a.b")
}

func TestParseSubjectRejectsOtherShapes(t *testing.T) {
	for _, subject := range []string{
		"", "events", "events.user", "events.user.", "events..id", "other.user.id",
		"events.user.a.b", "events.user.*", "events.user.>", "eventsxuser.id",
	} {
		if _, _, err := eventstore.ParseSubject(subject); !errors.Is(err, eventstore.ErrInvalidSubject) {
			t.Errorf("ParseSubject(%q): got %v, want ErrInvalidSubject", subject, err)
		}
	}
}
