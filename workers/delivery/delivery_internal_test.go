package delivery

import (
	"testing"

	"github.com/authtrail/authtrail/domain/interaction"
)

func TestRequestSubject(t *testing.T) {
	for _, c := range []struct {
		req  interaction.DeliveryRequested
		want string
	}{
		{interaction.DeliveryRequested{InteractionID: "i1", SendID: "s"}, "events.interaction.i1"},
		{interaction.DeliveryRequested{SendID: "s", Subject: "events.mfareg.r1"}, "events.mfareg.r1"},
		{interaction.DeliveryRequested{SendID: "s", Subject: "events.mfaver.v1"}, "events.mfaver.v1"},
		{interaction.DeliveryRequested{SendID: "s", Subject: "events.user.1"}, ""},
		{interaction.DeliveryRequested{SendID: "s", Subject: "events.mfareg.a.b"}, ""},
		{interaction.DeliveryRequested{SendID: "s"}, ""},
	} {
		got, err := requestSubject(c.req)
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("%+v: %q %v, want %q", c.req, got, err, c.want)
		}
	}
}
