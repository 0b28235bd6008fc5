package experience_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/ratelimit"
	"github.com/authtrail/authtrail/eventstore"
)

// A code send is three single-subject appends (no atomic batch): the
// recipient's count, the delivery request, the code record. The test
// server forces a conflict on the record's append after both claims
// committed, so the send is decided again: it finds its count and its
// delivery request stored, writes each once, and the code goes out once.
func TestCodeSendClaimsItsCountAndDeliveryOnce(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	srv := apitest.NewServer(t, apitest.Options{Settings: emailSettings(), SMTP: smtp})
	c := srv.Client(t)
	start(t, c, "Register")
	r := sendCode(t, c, "email", "claims@example.com", "Register")
	expect(t, r, http.StatusOK, "")
	smtp.WaitMail(t, 1)

	interaction := "events.interaction." + c.InteractionID()
	got := waitEventTypes(t, srv, interaction, "interaction.code.sent")
	if apitest.Count(got, "interaction.code.requested") != 1 || apitest.Count(got, "interaction.code.sent") != 1 {
		t.Fatalf("interaction holds %v, want one request and one send", got)
	}
	limit := eventstore.MustSubject(ratelimit.AggregateType, ratelimit.ID("email:claims@example.com"))
	if got := srv.EventTypes(t, limit); !slices.Equal(got, []string{"ratelimit.send.counted"}) {
		t.Errorf("the recipient's count holds %v, want one count", got)
	}
	envs, _, err := srv.Store.Load(context.Background(), limit)
	if err != nil {
		t.Fatal(err)
	}
	interactionEnvs, _, _ := srv.Store.Load(context.Background(), interaction)
	var record eventstore.Envelope
	for _, env := range interactionEnvs {
		if env.Type == "interaction.code.requested" {
			record = env
		}
	}
	var sent struct {
		SendID string `json:"sendId"`
	}
	if err := json.Unmarshal(record.Data, &sent); err != nil || sent.SendID == "" {
		t.Fatalf("code record %s: %v", record.Data, err)
	}
	outbox, _, err := srv.Store.Load(context.Background(), eventstore.MustSubject(code.DeliveryAggregateType, sent.SendID))
	if err != nil || len(outbox) != 1 || outbox[0].Type != "delivery.requested" {
		t.Fatalf("the delivery outbox holds %v (%v), want one request", outbox, err)
	}
	if !(envs[0].Seq < outbox[0].Seq && outbox[0].Seq < record.Seq) {
		t.Errorf("appended count %d, request %d, record %d: want them in that order", envs[0].Seq, outbox[0].Seq, record.Seq)
	}
	if got := len(smtp.Mail()); got != 1 {
		t.Errorf("%d mails, want 1", got)
	}
}

// A delivery request whose code record never committed (its request
// failed after asking) is abandoned once it is old, recorded on the
// outbox, and nothing is sent.
func TestDeliveryRequestWithoutRecordIsAbandoned(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	srv := apitest.NewServer(t, apitest.Options{Settings: emailSettings(), SMTP: smtp})
	c := srv.Client(t)
	start(t, c, "Register")
	outbox := eventstore.MustSubject(code.DeliveryAggregateType, "lost-send")
	err := srv.Store.Run(context.Background(), eventstore.Metadata{Time: srv.Clock.Now().Add(-2 * time.Minute), Actor: "test"},
		func(tx *eventstore.Tx) error {
			tx.Append(outbox, &code.DeliveryRequested{InteractionID: c.InteractionID(), SendID: "lost-send"})
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := srv.EventTypes(t, outbox)
		if slices.Equal(got, []string{"delivery.requested", "delivery.abandoned"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox holds %v, want the request abandoned", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := len(smtp.Mail()); got != 0 {
		t.Errorf("%d mails sent for a request without a code", got)
	}
}
