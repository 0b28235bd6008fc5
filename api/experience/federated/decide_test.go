package federated

import (
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/interaction/interactiontest"
)

type testRecord struct{ Record }

var (
	oauthKind = NewKind("oauth", "OAuth", "oauth_worker", false,
		func(r Record) testRecord { return testRecord{r} }, func(r testRecord) Record { return r.Record })
	samlKind = NewKind("saml", "SAML", "saml_worker", true,
		func(r Record) testRecord { return testRecord{r} }, func(r testRecord) Record { return r.Record })
)

func pendingOf(k *Kind, state string) interaction.State {
	return interactiontest.Given(interactiontest.Started("SignIn"), &AuthorizationStarted{kind: k, VerificationID: "v", ConnectorID: "google",
		Target: "google", Session: Session{StateDigest: stateDigest(state), RedirectURI: "https://app/cb", RelayState: "i.v"}})
}

func pending(state string) interaction.State { return pendingOf(oauthKind, state) }

func TestReceive(t *testing.T) {
	consumed := pending("s")
	(&CallbackReceived{kind: oauthKind, VerificationID: "v", CallbackID: "c0"}).ApplyTo(&consumed)
	responded := pendingOf(samlKind, "s")
	(&ResponseReceived{kind: samlKind, VerificationID: "v", ResponseID: "r1"}).ApplyTo(&responded)
	tests := []struct {
		name               string
		state              interaction.State
		connector, vid     string
		cb                 Callback
		wantCode           string
		wantKept, wantFail bool
		kind               *Kind
		wantCallback       string
	}{
		{"pending, right state", pending("s"), "google", "v", Callback{ID: "c1", State: "s"}, "", true, false, nil, ""},
		{"wrong state", pending("s"), "google", "v", Callback{ID: "c1", State: "x"}, "session.csrf_token_mismatch", false, true, nil, ""},
		{"no state", pending("s"), "google", "v", Callback{ID: "c1"}, "session.csrf_token_mismatch", false, true, nil, ""},
		{"provider error", pending("s"), "google", "v", Callback{ID: "c1", State: "s", Error: "access_denied"}, "connector.authorization_failed", true, true, nil, ""},
		{"another connector's record", pending("s"), "github", "v", Callback{ID: "c1", State: "s"}, "session.verification_session_not_found", false, false, nil, ""},
		{"no record", pending("s"), "google", "w", Callback{ID: "c1", State: "s"}, "session.verification_session_not_found", false, false, nil, ""},
		{"consumed", consumed, "google", "v", Callback{ID: "c1", State: "s"}, "session.connector_validation_session_not_found", false, false, nil, ""},
		{"SAML: the ACS's response, right state", responded, "google", "v", Callback{ID: "c1", State: "s"}, "", true, false, samlKind, "r1"},
		{"SAML: no response received yet", pendingOf(samlKind, "s"), "google", "v", Callback{ID: "c1", State: "s"},
			"connector.authorization_failed", false, true, samlKind, ""},
		{"SAML: response posted to verify, its RelayState", pendingOf(samlKind, "s"), "google", "v",
			Callback{ID: "c1", RelayState: "i.v", Answered: true}, "", true, false, samlKind, "c1"},
		{"SAML: another RelayState", pendingOf(samlKind, "s"), "google", "v",
			Callback{ID: "c1", RelayState: "i.w", Answered: true}, "session.csrf_token_mismatch", false, true, samlKind, ""},
		{"SAML: the ACS's response, wrong state", responded, "google", "v", Callback{ID: "c1", State: "x"},
			"session.csrf_token_mismatch", false, true, samlKind, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.kind
			if k == nil {
				k, tt.cb.Answered = oauthKind, true // a code is always the answer without an ACS
			}
			r := k.receive(tt.state, tt.connector, tt.vid, tt.cb, time.Unix(0, 0))
			if domain.Code(r.Err) != tt.wantCode || (len(r.Kept) > 0) != tt.wantKept || (r.Failure != nil) != tt.wantFail ||
				tt.wantCallback != "" && r.CallbackID != tt.wantCallback {
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
