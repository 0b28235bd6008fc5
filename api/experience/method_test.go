package experience_test

import (
	"context"
	"crypto/subtle"
	"net/http"
	"testing"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// A new authentication method is a type that implements experience.Method,
// and its registration: nothing else changes. This one, a fixed PIN per
// username, is written here in full: its record, its event, its decision
// and its route; it then identifies a user like any built-in method.
func TestANewMethodIsItsOwnPackagePlusRegistration(t *testing.T) {
	srv := apitest.NewServer(t, apitest.Options{Methods: []experience.Method{&pinMethod{}}})
	register(t, srv, "alice", goodPassword)

	c := srv.Client(t)
	start(t, c, "SignIn")
	expect(t, post(t, c, "/verification/pin", map[string]any{"username": "alice", "pin": "0000"}), http.StatusUnprocessableEntity, "session.invalid_credentials")
	vid := verificationID(t, post(t, c, "/verification/pin", map[string]any{"username": "alice", "pin": "1234"}))
	expect(t, identify(t, c, vid), http.StatusNoContent, "")
	expect(t, submit(t, c), http.StatusOK, "")
	if got := interactionEvents(t, srv, c); !equal(got, []string{"interaction.started", "interaction.request.failed",
		"interaction.pin.verified", "interaction.identified", "interaction.submitted"}) {
		t.Fatalf("events = %v", got)
	}

	c = srv.Client(t)
	start(t, c, "ForgotPassword")
	vid = verificationID(t, post(t, c, "/verification/pin", map[string]any{"username": "alice", "pin": "1234"}))
	expect(t, identify(t, c, vid), http.StatusUnprocessableEntity, "session.not_supported_for_forgot_password")
}

// pinMethod is the whole method.
type pinMethod struct{ h *experience.Handler }

func (m *pinMethod) Events() domain.Registry {
	return domain.Registry{"interaction.pin.verified": func() domain.Event { return &pinVerified{} }}
}

func (m *pinMethod) Mount(h *experience.Handler, r *mux.Router) {
	m.h = h
	experience.Route(r, h, http.MethodPost, "/verification/pin", m.parse, m.verify)
}

type pinBody struct {
	Username, PIN  string
	verificationID string
}

func (m *pinMethod) parse(r *http.Request) (pinBody, error) {
	var body struct {
		Username string `json:"username"`
		PIN      string `json:"pin"`
	}
	err := httpx.Decode(r, &body)
	return pinBody{Username: body.Username, PIN: body.PIN, verificationID: m.h.NewID()}, err
}

func (m *pinMethod) verify(ctx context.Context, s *experience.Step, in pinBody) (experience.Reply, error) {
	kind, key := m.h.Users().Identifier(user.KindUsername, in.Username)
	u, err := accounts.Lookup(ctx, s.Tx, kind, key)
	if err != nil {
		return experience.Reply{}, err
	}
	if u == nil || subtle.ConstantTimeCompare([]byte(in.PIN), []byte("1234")) != 1 {
		return experience.Reply{}, domain.E("session.invalid_credentials")
	}
	s.Append(&pinVerified{VerificationID: in.verificationID, UserID: u.ID})
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.verificationID}}, nil
}

// pinVerified is the method's event; it folds itself into its record.
type pinVerified struct {
	VerificationID string `json:"verificationId"`
	UserID         string `json:"userId"`
}

func (pinVerified) EventType() string { return "interaction.pin.verified" }
func (e *pinVerified) ApplyTo(s *interaction.State) {
	s.PutRecord(pinRecord{interaction.RecordBase{ID: e.VerificationID, Type: "Pin", UserID: e.UserID, Verified: true}})
}

// pinRecord identifies its user at SignIn.
type pinRecord struct{ interaction.RecordBase }

func (pinRecord) CheckIdentify(event string, _ *settings.SignInExperience) error {
	if event == settings.EventForgotPassword {
		return domain.E("session.not_supported_for_forgot_password@identification")
	}
	return nil
}

func (r pinRecord) Identifies() interaction.Identity { return interaction.Identity{UserID: r.UserID} }
