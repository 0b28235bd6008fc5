package delivery

import (
	"testing"

	"github.com/authtrail/authtrail/domain/code"
)

func TestRequestSubject(t *testing.T) {
	for _, c := range []struct {
		req  code.DeliveryRequested
		want string
	}{
		{code.DeliveryRequested{InteractionID: "i1", SendID: "s"}, "events.interaction.i1"},
		{code.DeliveryRequested{SendID: "s", Subject: "events.mfareg.r1"}, "events.mfareg.r1"},
		{code.DeliveryRequested{SendID: "s", Subject: "events.mfaver.v1"}, "events.mfaver.v1"},
		{code.DeliveryRequested{SendID: "s", Subject: "events.user.1"}, ""},
		{code.DeliveryRequested{SendID: "s", Subject: "events.mfareg.a.b"}, ""},
		{code.DeliveryRequested{SendID: "s"}, ""},
	} {
		got, _, err := requestSubject(c.req)
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("%+v: %q %v, want %q", c.req, got, err, c.want)
		}
	}
}
