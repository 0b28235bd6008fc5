package federated

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/user"
)

// stateDigest keeps the client's state out of the log: verify compares
// digests.
func stateDigest(state string) string {
	sum := sha256.Sum256([]byte(state))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Callback is what verify read of connectorData: the provider's answer (an
// OAuth code, or a SAML response with its RelayState) or its error, and
// the state it echoed, with the answer sealed for the log.
type Callback struct {
	ID    string
	State string
	// RelayState came with a SAML response posted to verify itself: it
	// binds the response to the record in place of the state.
	RelayState string
	// Error is the provider's refusal (error=access_denied…).
	Error string
	// Answered: connectorData carried a code or a SAML response (Sealed);
	// else verify takes the response the assertion consumer service
	// recorded.
	Answered bool
	Sealed   user.Sealed
}

// Receipt is what a verify commits: the consumed authorization (kept
// whatever the outcome) or, refused, its failure.
type Receipt struct {
	Kept    []domain.Event
	Failure domain.Event
	Err     error
	// CallbackID is the callback the worker will answer.
	CallbackID string
}

// receive decides a verify on the record verificationID of connector
// (docs/experience.md, Social sign-in and Enterprise SSO): the record must
// be the connector's and pending; the state (or a posted response's
// RelayState) must be the authorization's, else the refusal leaves the
// authorization pending (the user may retry from the browser that started
// it); a provider error consumes it.
func (k *Kind) receive(s interaction.State, connectorID, verificationID string, cb Callback, deadline time.Time) Receipt {
	rec, ok := k.record(s, verificationID)
	if !ok || rec.ConnectorID != connectorID {
		return Receipt{Err: domain.E("session.verification_session_not_found")}
	}
	if rec.Session == nil {
		return Receipt{Err: domain.E("session.connector_validation_session_not_found")}
	}
	refuse := func(err *domain.Error, callback, reason string) Receipt {
		return Receipt{Err: err, Failure: &VerificationFailed{kind: k, VerificationID: verificationID, CallbackID: callback, Code: err.Code, Reason: reason}}
	}
	switch {
	case cb.RelayState != "":
		if rec.Session.RelayState == "" || subtle.ConstantTimeCompare([]byte(cb.RelayState), []byte(rec.Session.RelayState)) != 1 {
			return refuse(domain.E("session.csrf_token_mismatch"), "", "relay_state_mismatch")
		}
	case subtle.ConstantTimeCompare([]byte(stateDigest(cb.State)), []byte(rec.Session.StateDigest)) != 1:
		reason := "state_mismatch"
		if cb.State == "" {
			reason = "state_missing"
		}
		return refuse(domain.E("session.csrf_token_mismatch"), "", reason)
	}
	if !cb.Answered && cb.Error == "" {
		if rec.Response == nil {
			return refuse(domain.E("connector.authorization_failed"), "", "no SAML response was received for this authorization")
		}
		cb.ID, cb.Sealed = rec.Response.ID, rec.Response.Sealed
	}
	received := &CallbackReceived{kind: k, VerificationID: verificationID, CallbackID: cb.ID, ConnectorID: connectorID,
		Code: cb.Sealed, RedirectURI: rec.Session.RedirectURI, Secrets: rec.Session.Secrets, Deadline: deadline}
	if cb.Error != "" {
		err := domain.E("connector.authorization_failed")
		out := refuse(err, cb.ID, "provider: "+cb.Error)
		out.Kept = []domain.Event{received}
		return out
	}
	return Receipt{Kept: []domain.Event{received}, CallbackID: cb.ID}
}

// Outcome is what the log says of a callback: pending (nil Err, !Done),
// verified (Done), or refused (Err).
type Outcome struct {
	Done bool
	// Started: a worker began the exchange.
	Started bool
	Err     *domain.Error
}

// outcomeOf finds the outcome of callback among an interaction's events.
func outcomeOf(events []domain.Event, callback string) Outcome {
	var out Outcome
	for _, ev := range events {
		switch e := ev.(type) {
		case *ExchangeStarted:
			if e.CallbackID == callback {
				out.Started = true
			}
		case *Verified:
			if e.CallbackID == callback {
				out.Done = true
			}
		case *VerificationFailed:
			if e.CallbackID == callback {
				out.Done, out.Err = true, outcomeError(e.Code)
			}
		}
	}
	return out
}

// outcomeErrors are the refusals a federated verification records, by code.
var outcomeErrors = func() map[string]*domain.Error {
	out := map[string]*domain.Error{}
	for _, e := range []*domain.Error{
		domain.E("connector.general"), domain.E("connector.invalid_config"), domain.E("connector.invalid_response"),
		domain.E("connector.rate_limit_exceeded"), domain.E("connector.social_auth_code_invalid"),
		domain.E("connector.social_invalid_id_token"), domain.E("connector.social_invalid_access_token"),
		domain.E("connector.authorization_failed"), domain.E("session.csrf_token_mismatch"),
		domain.E("session.connector_validation_session_not_found"),
	} {
		out[e.Code] = e
	}
	return out
}()

// outcomeError is the refusal a recorded code answers; a code this version
// does not know answers as the general connector error.
func outcomeError(code string) *domain.Error {
	if e, ok := outcomeErrors[code]; ok {
		c := *e
		return &c
	}
	return domain.E("connector.general")
}
