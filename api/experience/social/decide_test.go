package social

import (
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/interaction/interactiontest"
)

func pending(state string) interaction.State {
	return interactiontest.Given(interactiontest.Started("SignIn"), &AuthorizationStarted{VerificationID: "v", ConnectorID: "google",
		Target: "google", Session: Session{StateDigest: stateDigest(state), RedirectURI: "https://app/cb"}})
}

func TestReceive(t *testing.T) {
	consumed := pending("s")
	(&CallbackReceived{VerificationID: "v", CallbackID: "c0"}).ApplyTo(&consumed)
	tests := []struct {
		name               string
		state              interaction.State
		connector, vid     string
		cb                 Callback
		wantCode           string
		wantKept, wantFail bool
	}{
		{"pending, right state", pending("s"), "google", "v", Callback{ID: "c1", State: "s"}, "", true, false},
		{"wrong state", pending("s"), "google", "v", Callback{ID: "c1", State: "x"}, "session.csrf_token_mismatch", false, true},
		{"no state", pending("s"), "google", "v", Callback{ID: "c1"}, "session.csrf_token_mismatch", false, true},
		{"provider error", pending("s"), "google", "v", Callback{ID: "c1", State: "s", Error: "access_denied"}, "connector.authorization_failed", true, true},
		{"another connector's record", pending("s"), "github", "v", Callback{ID: "c1", State: "s"}, "session.verification_session_not_found", false, false},
		{"no record", pending("s"), "google", "w", Callback{ID: "c1", State: "s"}, "session.verification_session_not_found", false, false},
		{"consumed", consumed, "google", "v", Callback{ID: "c1", State: "s"}, "session.connector_validation_session_not_found", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := receive(tt.state, tt.connector, tt.vid, tt.cb, time.Unix(0, 0))
			if domain.Code(r.Err) != tt.wantCode || (len(r.Kept) > 0) != tt.wantKept || (r.Failure != nil) != tt.wantFail {
				t.Fatalf("got %+v", r)
			}
		})
	}
}

func TestOutcomeOf(t *testing.T) {
	started := &ExchangeStarted{CallbackID: "c"}
	tests := []struct {
		name     string
		events   []domain.Event
		want     Outcome
		wantCode string
	}{
		{"pending", nil, Outcome{}, ""},
		{"started", []domain.Event{started}, Outcome{Started: true}, ""},
		{"verified", []domain.Event{started, &Verified{CallbackID: "c"}}, Outcome{Started: true, Done: true}, ""},
		{"refused", []domain.Event{started, &VerificationFailed{CallbackID: "c", Code: "connector.social_auth_code_invalid"}},
			Outcome{Started: true, Done: true}, "connector.social_auth_code_invalid"},
		{"another callback's", []domain.Event{&Verified{CallbackID: "other"}}, Outcome{}, ""},
		{"a code this version does not know", []domain.Event{&VerificationFailed{CallbackID: "c", Code: "connector.future"}},
			Outcome{Done: true}, "connector.general"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := outcomeOf(tt.events, "c")
			if got.Done != tt.want.Done || got.Started != tt.want.Started || domain.Code(got.Err) != tt.wantCode {
				t.Fatalf("got %+v", got)
			}
		})
	}
}
