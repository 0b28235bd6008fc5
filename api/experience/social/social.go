// Package social is the social sign-in method of the Experience API: an
// authorization at an OIDC or OAuth 2.0 provider
// (/verification/social/{connectorId}/authorization-uri, always with PKCE
// and a nonce), and the provider's callback
// (/verification/social/{connectorId}/verify), which the connector worker
// (connector.go) exchanges for the user's identity while the request waits
// for its outcome. Every step is an event of the Social record; the code,
// the PKCE verifier and the nonce are sealed in the log.
package social

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/secretbox"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/workers/connectors/oidc"
)

// Provider is the protocol side of a connector (workers/connectors/oidc).
type Provider interface {
	AuthorizationURL(ctx context.Context, redirectURI, state, nonce, verifier string) (string, error)
	Exchange(ctx context.Context, code, redirectURI, verifier, nonce string) (oidc.UserInfo, error)
}

// Connector is a configured social connector (config connectors.social).
type Connector struct {
	ID          string
	Target      string
	SyncProfile bool
	Provider    Provider
}

// DefaultTimeout bounds a provider call and the wait for its outcome
// (config connectors.timeout).
const DefaultTimeout = 10 * time.Second

// Deps are the method's collaborators.
type Deps struct {
	Connectors []Connector
	// SSOConnectorIDs are the enterprise SSO connectors' ids: a social
	// route given one answers connector.unexpected_type.
	SSOConnectorIDs []string
	// Secrets seals the code, the PKCE verifier and the nonce.
	Secrets *secretbox.Keyring
	// Store is where verify waits for the worker's outcome.
	Store   *eventstore.Store
	Timeout time.Duration
}

// Method is the social sign-in method.
type Method struct {
	d          Deps
	connectors map[string]Connector
	h          *experience.Handler
}

// New returns the method.
func New(d Deps) *Method {
	if d.Timeout <= 0 {
		d.Timeout = DefaultTimeout
	}
	m := &Method{d: d, connectors: map[string]Connector{}}
	for _, c := range d.Connectors {
		m.connectors[c.ID] = c
	}
	return m
}

// Timeout bounds a provider call and verify's wait for its outcome.
func (m *Method) Timeout() time.Duration { return m.d.Timeout }

// Events decodes the method's events.
func (m *Method) Events() domain.Registry { return Events }

// Mount adds the social routes.
func (m *Method) Mount(h *experience.Handler, r *mux.Router) {
	m.h = h
	experience.Route(r, h, http.MethodPost, "/verification/social/{connectorId}/authorization-uri", m.parseAuthorize, m.authorize)
	experience.Route(r, h, http.MethodPost, "/verification/social/{connectorId}/verify", m.parseVerify, m.verify)
}

// connector finds the path's connector: an unknown id is refused with
// unknown, an SSO connector's with connector.unexpected_type.
func (m *Method) connector(r *http.Request, unknown *domain.Error) (Connector, error) {
	id := mux.Vars(r)["connectorId"]
	if c, ok := m.connectors[id]; ok {
		return c, nil
	}
	if slices.Contains(m.d.SSOConnectorIDs, id) {
		return Connector{}, domain.E("connector.unexpected_type")
	}
	return Connector{}, unknown
}

// secrets are the PKCE verifier and the nonce of an authorization.
type secrets struct {
	Verifier string `json:"verifier"`
	Nonce    string `json:"nonce"`
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type authorizeBody struct {
	State       string `json:"state"`
	RedirectURI string `json:"redirectUri"`
}

// authorizing is an authorization-uri request with what it drew: the
// record id, and the provider's URL with its sealed secrets.
type authorizing struct {
	connector      Connector
	verificationID string
	uri            string
	started        *AuthorizationStarted
}

func (m *Method) parseAuthorize(r *http.Request) (authorizing, error) {
	var b authorizeBody
	if err := httpx.Decode(r, &b); err != nil {
		return authorizing{}, err
	}
	if b.State == "" || b.RedirectURI == "" {
		return authorizing{}, domain.E("session.insufficient_info")
	}
	c, err := m.connector(r, domain.E("entity.not_found"))
	if err != nil {
		return authorizing{}, err
	}
	in := authorizing{connector: c, verificationID: m.h.NewID()}
	sec := secrets{Verifier: randomToken(), Nonce: randomToken()}
	ctx, cancel := context.WithTimeout(r.Context(), m.d.Timeout)
	defer cancel()
	if in.uri, err = c.Provider.AuthorizationURL(ctx, b.RedirectURI, b.State, sec.Nonce, sec.Verifier); err != nil {
		m.h.Log().WarnContext(r.Context(), "social authorization URL", "connectorId", c.ID, "err", err)
		return in, providerError(err)
	}
	plain, _ := json.Marshal(sec)
	sealed, err := m.d.Secrets.Seal(plain, in.verificationID, m.h.Random())
	if err != nil {
		return in, err
	}
	in.started = &AuthorizationStarted{VerificationID: in.verificationID, ConnectorID: c.ID, Target: c.Target,
		SyncProfile: c.SyncProfile, Session: Session{StateDigest: stateDigest(b.State), RedirectURI: b.RedirectURI,
			Secrets: user.Sealed{KeyID: sealed.KeyID, Box: sealed.Box}}}
	return in, nil
}

// authorize serves POST /verification/social/{connectorId}/authorization-uri:
// a new Social record, replacing any earlier one, with its authorization
// pending.
func (m *Method) authorize(_ context.Context, s *experience.Step, in authorizing) (experience.Reply, error) {
	s.Append(in.started)
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{
		"authorizationUri": in.uri, "verificationId": in.verificationID}}, nil
}

type verifyBody struct {
	ConnectorData  map[string]any `json:"connectorData"`
	VerificationID string         `json:"verificationId"`
}

// verifying is a verify request: the record, the callback with its code
// sealed, and the deadline of its exchange.
type verifying struct {
	connector      Connector
	verificationID string
	callback       Callback
	deadline       time.Time
	meta           eventstore.Metadata
}

func (m *Method) parseVerify(r *http.Request) (verifying, error) {
	var b verifyBody
	if err := httpx.Decode(r, &b); err != nil {
		return verifying{}, err
	}
	if b.ConnectorData == nil {
		return verifying{}, httpx.Invalid("body", `"connectorData" must be an object`)
	}
	c, err := m.connector(r, domain.E("session.invalid_connector_id"))
	if err != nil {
		return verifying{}, err
	}
	in := verifying{connector: c, verificationID: b.VerificationID, deadline: m.h.Clock().Now().Add(m.d.Timeout),
		meta: m.h.RequestMeta(r)}
	in.callback = Callback{ID: m.h.NewID(), State: text(b.ConnectorData, "state"), Error: text(b.ConnectorData, "error")}
	sealed, err := m.d.Secrets.Seal([]byte(text(b.ConnectorData, "code")), in.callback.ID, m.h.Random())
	if err != nil {
		return in, err
	}
	in.callback.Sealed = user.Sealed{KeyID: sealed.KeyID, Box: sealed.Box}
	return in, nil
}

func text(data map[string]any, key string) string {
	s, _ := data[key].(string)
	return s
}

// verify serves POST /verification/social/{connectorId}/verify: it
// records the callback, consuming the authorization, and answers once the
// connector worker recorded the exchange's outcome.
func (m *Method) verify(_ context.Context, s *experience.Step, in verifying) (experience.Reply, error) {
	if in.verificationID == "" {
		return experience.Reply{}, domain.E("session.verification_session_not_found")
	}
	out := receive(s.State, in.connector.ID, in.verificationID, in.callback, in.deadline)
	if len(out.Kept) > 0 {
		s.Tx.Keep(s.Subject, out.Kept...)
	}
	if out.Failure != nil {
		s.Failure(out.Failure)
	}
	if out.Err != nil {
		return experience.Reply{}, out.Err
	}
	subject, callback, verificationID := s.Subject, in.callback.ID, in.verificationID
	return experience.Reply{Then: func(ctx context.Context) (experience.Reply, error) {
		if err := m.await(ctx, in.meta, subject, verificationID, callback); err != nil {
			return experience.Reply{}, err
		}
		return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": verificationID}}, nil
	}}, nil
}
