// Package social is the social sign-in method of the Experience API: an
// authorization at an OIDC or OAuth 2.0 provider
// (/verification/social/{connectorId}/authorization-uri, always with PKCE
// and a nonce), and the provider's callback
// (/verification/social/{connectorId}/verify), which the connector worker
// exchanges for the user's identity while the request waits for its
// outcome. The flow is the one api/experience/federated runs for every
// federated method; this package holds the Social record's rules.
package social

import (
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/domain"
)

// WorkerName is the connector worker's handler name.
const WorkerName = "social_connectors"

// Kind names the Social record and its events (interaction.social.*).
var Kind = federated.NewKind("social", RecordType, WorkerName, false,
	func(r federated.Record) Record { return Record{r} }, func(r Record) federated.Record { return r.Record })

// Deps are the method's collaborators.
type Deps struct {
	Connectors []federated.Connector
	// SSOConnectorIDs are the enterprise SSO connectors' ids: a social
	// route given one answers connector.unexpected_type.
	SSOConnectorIDs []string
	federated.Deps
}

// Method is the social sign-in method.
type Method struct {
	// Flow gives the method its worker (Worker) and Timeout.
	*federated.Flow
	sso []string
}

// New returns the method.
func New(d Deps) *Method {
	return &Method{sso: d.SSOConnectorIDs,
		Flow: federated.NewFlow(Kind, d.Deps, d.Connectors)}
}

// Events decodes the method's events.
func (m *Method) Events() domain.Registry { return Kind.Events() }

// Mount adds the social routes.
func (m *Method) Mount(h *experience.Handler, r *mux.Router) {
	m.Flow.Mount(h)
	experience.Route(r, h, http.MethodPost, "/verification/social/{connectorId}/authorization-uri",
		func(r *http.Request) (federated.Authorizing, error) {
			return m.Flow.ParseAuthorize(r, m.connector(domain.E("entity.not_found")))
		}, m.Flow.Authorize)
	experience.Route(r, h, http.MethodPost, "/verification/social/{connectorId}/verify",
		func(r *http.Request) (federated.Verifying, error) {
			return m.Flow.ParseVerify(r, m.connector(domain.E("session.invalid_connector_id")))
		}, m.Flow.Verify)
}

// connector finds the path's connector: an unknown id is refused with
// unknown, an SSO connector's with connector.unexpected_type.
func (m *Method) connector(unknown *domain.Error) func(*http.Request) (federated.Connector, error) {
	return func(r *http.Request) (federated.Connector, error) {
		id := mux.Vars(r)["connectorId"]
		if c, ok := m.Flow.Connector(id); ok {
			return c, nil
		}
		if slices.Contains(m.sso, id) {
			return federated.Connector{}, domain.E("connector.unexpected_type")
		}
		return federated.Connector{}, unknown
	}
}
