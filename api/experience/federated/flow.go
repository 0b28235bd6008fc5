package federated

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/secretbox"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers/connectors"
)

// Provider is the protocol side of a connector: workers/connectors/oidc
// (OIDC and OAuth 2.0) or workers/connectors/saml.
type Provider interface {
	AuthorizationURL(ctx context.Context, a connectors.Authorization) (string, error)
	// Exchange trades the provider's answer (a code, a SAML response) for
	// the user's identity, checked against the authorization.
	Exchange(ctx context.Context, a connectors.Authorization, answer string) (connectors.UserInfo, error)
}

// Connector is a configured connector, as the flow needs it.
type Connector struct {
	ID string
	// Target keys a social connector's identities.
	Target               string
	SyncProfile          bool
	TrustUnverifiedEmail bool
	// ACS: the IdP answers at the assertion consumer service (SAML), with
	// the RelayState drawn at authorization.
	ACS      bool
	Provider Provider
}

// DefaultTimeout bounds a provider call and the wait for its outcome
// (config connectors.timeout).
const DefaultTimeout = 10 * time.Second

// Deps are the flow's collaborators.
type Deps struct {
	// Secrets seals the provider's answers and the authorizations' secrets.
	Secrets *secretbox.Keyring
	// Store is where verify waits for the worker's outcome.
	Store   *eventstore.Store
	Timeout time.Duration
}

// Flow runs a kind's authorizations, callbacks and worker.
type Flow struct {
	kind       *Kind
	d          Deps
	connectors map[string]Connector
	h          *experience.Handler
}

// NewFlow returns the flow of kind over its connectors.
func NewFlow(kind *Kind, d Deps, cs []Connector) *Flow {
	if d.Timeout <= 0 {
		d.Timeout = DefaultTimeout
	}
	f := &Flow{kind: kind, d: d, connectors: map[string]Connector{}}
	for _, c := range cs {
		f.connectors[c.ID] = c
	}
	return f
}

// Mount binds the flow to the handler its method is mounted on.
func (f *Flow) Mount(h *experience.Handler) { f.h = h }

// Timeout bounds a provider call and verify's wait for its outcome.
func (f *Flow) Timeout() time.Duration { return f.d.Timeout }

// Configured reports whether the flow has a connector: without one its
// worker has nothing to do and is not started.
func (f *Flow) Configured() bool { return len(f.connectors) > 0 }

// Connector is the configured connector id.
func (f *Flow) Connector(id string) (Connector, bool) {
	c, ok := f.connectors[id]
	return c, ok
}

// NewID draws an id (a record's, a callback's, a response's).
func (f *Flow) NewID() string { return f.h.NewID() }

// Log is the handler's log.
func (f *Flow) Log() *slog.Logger { return f.h.Log() }

// Seal seals plain for the log under id.
func (f *Flow) Seal(plain []byte, id string) (user.Sealed, error) {
	sealed, err := f.d.Secrets.Seal(plain, id, f.h.Random())
	return user.Sealed{KeyID: sealed.KeyID, Box: sealed.Box}, err
}

// Open opens what Seal sealed under id.
func (f *Flow) Open(s user.Sealed, id string) ([]byte, error) {
	return f.d.Secrets.Open(secretbox.Sealed{KeyID: s.KeyID, Box: s.Box}, id)
}

func (f *Flow) token() string {
	b := make([]byte, 32)
	_, _ = f.h.Random().Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type authorizeBody struct {
	State       string `json:"state"`
	RedirectURI string `json:"redirectUri"`
}

// Authorizing is an authorization-uri request with what it drew: the
// record id, and the provider's URL with its sealed secrets.
type Authorizing struct {
	VerificationID string
	URI            string
	started        *AuthorizationStarted
}

// ParseAuthorize reads an authorization-uri request for the connector
// lookup finds, draws the authorization (PKCE verifier, nonce, SAML
// request id and RelayState) and asks the provider for its URL: once per
// request, before any decision.
func (f *Flow) ParseAuthorize(r *http.Request, lookup func(*http.Request) (Connector, error)) (Authorizing, error) {
	var b authorizeBody
	if err := httpx.Decode(r, &b); err != nil {
		return Authorizing{}, err
	}
	if b.State == "" || b.RedirectURI == "" {
		return Authorizing{}, domain.E("session.insufficient_info")
	}
	c, err := lookup(r)
	if err != nil {
		return Authorizing{}, err
	}
	in := Authorizing{VerificationID: f.h.NewID()}
	a := connectors.Authorization{RedirectURI: b.RedirectURI, State: b.State, Nonce: f.token(), Verifier: f.token()}
	if c.ACS {
		id := make([]byte, 16)
		_, _ = f.h.Random().Read(id)
		a.RequestID = "id-" + hex.EncodeToString(id)
		a.RelayState = f.h.InteractionIDOf(r) + "." + in.VerificationID
	}
	ctx, cancel := context.WithTimeout(r.Context(), f.d.Timeout)
	defer cancel()
	if in.URI, err = c.Provider.AuthorizationURL(ctx, a); err != nil {
		f.h.Log().WarnContext(r.Context(), f.kind.Name+" authorization URL", "connectorId", c.ID, "err", err)
		return in, ProviderError(err)
	}
	plain, _ := json.Marshal(a)
	sealed, err := f.Seal(plain, in.VerificationID)
	if err != nil {
		return in, err
	}
	in.started = &AuthorizationStarted{kind: f.kind, VerificationID: in.VerificationID, ConnectorID: c.ID, Target: c.Target,
		SyncProfile: c.SyncProfile, TrustUnverifiedEmail: c.TrustUnverifiedEmail,
		Session: Session{StateDigest: stateDigest(b.State), RedirectURI: b.RedirectURI, RelayState: a.RelayState, Secrets: sealed}}
	return in, nil
}

// Authorize decides an authorization-uri request: a new record, replacing
// any earlier one of the kind, with its authorization pending.
func (f *Flow) Authorize(_ context.Context, s *experience.Step, in Authorizing) (experience.Reply, error) {
	s.Append(in.started)
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{
		"authorizationUri": in.URI, "verificationId": in.VerificationID}}, nil
}

type verifyBody struct {
	ConnectorData  map[string]any `json:"connectorData"`
	VerificationID string         `json:"verificationId"`
}

// Verifying is a verify request: the record, the callback with its answer
// sealed, and the deadline of its exchange.
type Verifying struct {
	connector      Connector
	verificationID string
	callback       Callback
	deadline       time.Time
	meta           eventstore.Metadata
}

// ParseVerify reads a verify request for the connector lookup finds:
// connectorData's code (or SAMLResponse and RelayState), state and error,
// the answer sealed under a new callback id.
func (f *Flow) ParseVerify(r *http.Request, lookup func(*http.Request) (Connector, error)) (Verifying, error) {
	var b verifyBody
	if err := httpx.Decode(r, &b); err != nil {
		return Verifying{}, err
	}
	if b.ConnectorData == nil {
		return Verifying{}, httpx.Invalid("body", `"connectorData" must be an object`)
	}
	c, err := lookup(r)
	if err != nil {
		return Verifying{}, err
	}
	in := Verifying{connector: c, verificationID: b.VerificationID, deadline: f.h.Clock().Now().Add(f.d.Timeout),
		meta: f.h.RequestMeta(r)}
	answer := text(b.ConnectorData, "code")
	if c.ACS {
		answer = text(b.ConnectorData, "SAMLResponse")
		in.callback.RelayState = text(b.ConnectorData, "RelayState")
	}
	in.callback.ID, in.callback.State, in.callback.Error = f.h.NewID(), text(b.ConnectorData, "state"), text(b.ConnectorData, "error")
	// Without an ACS the code is the answer even when empty: the provider
	// refuses it.
	if in.callback.Answered = answer != "" || !c.ACS; in.callback.Answered {
		if in.callback.Sealed, err = f.Seal([]byte(answer), in.callback.ID); err != nil {
			return in, err
		}
	}
	return in, nil
}

func text(data map[string]any, key string) string {
	s, _ := data[key].(string)
	return s
}

// Verify decides a verify request: it records the callback, consuming the
// authorization, and answers once the connector worker recorded the
// outcome.
func (f *Flow) Verify(_ context.Context, s *experience.Step, in Verifying) (experience.Reply, error) {
	if in.verificationID == "" {
		return experience.Reply{}, domain.E("session.verification_session_not_found")
	}
	out := f.kind.receive(s.State, in.connector.ID, in.verificationID, in.callback, in.deadline)
	if len(out.Kept) > 0 {
		s.Tx.Keep(s.Subject, out.Kept...)
	}
	if out.Failure != nil {
		s.Failure(out.Failure)
	}
	if out.Err != nil {
		return experience.Reply{}, out.Err
	}
	subject, callback, verificationID := s.Subject, out.CallbackID, in.verificationID
	return experience.Reply{Then: func(ctx context.Context) (experience.Reply, error) {
		if err := f.await(ctx, in.meta, subject, verificationID, callback); err != nil {
			return experience.Reply{}, err
		}
		return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": verificationID}}, nil
	}}, nil
}
