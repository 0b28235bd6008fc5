// Package enterprisesso is the enterprise SSO method of the Experience
// API: an authorization at a company's OIDC or SAML 2.0 IdP
// (/verification/sso/{connectorId}/authorization-uri) and its answer
// (/verification/sso/{connectorId}/verify), which the connector worker
// checks while the request waits for its outcome, as for social sign-in
// (the flow is api/experience/federated's). A SAML IdP answers at the
// assertion consumer service (acs.go), which records the response and
// sends the browser back to the client. The identity is keyed by the
// IdP's issuer and subject; a verified SSO record bypasses MFA and the
// mandatory profile (docs/experience.md, Enterprise SSO).
package enterprisesso

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/domain"
)

// WorkerName is the connector worker's handler name.
const WorkerName = "sso_connectors"

// Kind names the EnterpriseSso record and its events (interaction.sso.*).
var Kind = federated.NewKind("sso", RecordType, WorkerName, true,
	func(r federated.Record) Record { return Record{r} }, func(r Record) federated.Record { return r.Record })

// Connector is a configured SSO connector (config connectors.sso).
type Connector struct {
	federated.Connector
	Name    string
	Domains []string
	// Metadata is a SAML connector's SP metadata (nil for OIDC).
	Metadata func(ctx context.Context) ([]byte, error)
}

// SAML reports whether the connector's IdP answers at the assertion
// consumer service.
func (c Connector) SAML() bool { return c.Metadata != nil }

// Deps are the method's collaborators.
type Deps struct {
	Connectors []Connector
	federated.Deps
}

// Method is the enterprise SSO method.
type Method struct {
	// Flow gives the method its worker (Worker) and Timeout.
	*federated.Flow
	connectors map[string]Connector
}

// New returns the method.
func New(d Deps) *Method {
	m := &Method{connectors: map[string]Connector{}}
	flows := make([]federated.Connector, 0, len(d.Connectors))
	for _, c := range d.Connectors {
		c.ACS = c.SAML()
		m.connectors[c.ID] = c
		flows = append(flows, c.Connector)
	}
	m.Flow = federated.NewFlow(Kind, d.Deps, flows)
	return m
}

// Events decodes the method's events.
func (m *Method) Events() domain.Registry { return Kind.Events() }

// Mount adds the SSO routes under /api/experience.
func (m *Method) Mount(h *experience.Handler, r *mux.Router) {
	m.Flow.Mount(h)
	experience.Route(r, h, http.MethodPost, "/verification/sso/{connectorId}/authorization-uri",
		func(r *http.Request) (federated.Authorizing, error) { return m.Flow.ParseAuthorize(r, m.connector) }, m.Flow.Authorize)
	experience.Route(r, h, http.MethodPost, "/verification/sso/{connectorId}/verify",
		func(r *http.Request) (federated.Verifying, error) { return m.Flow.ParseVerify(r, m.connector) }, m.Flow.Verify)
}

// MountRoot adds the SAML assertion consumer service and SP metadata.
func (m *Method) MountRoot(h *experience.Handler, r *mux.Router) {
	experience.RouteWithout(r, h, http.MethodPost, "/api/authn/single-sign-on/saml/{connectorId}", "authn.single-sign-on.saml",
		relayInteraction, m.parseResponse, m.receiveResponse)
	r.HandleFunc("/api/authn/single-sign-on/saml/{connectorId}/metadata", m.metadata).Methods(http.MethodGet)
}

// connector finds the path's connector; an unknown id, or a social
// connector's, is entity.not_exists_with_id.
func (m *Method) connector(r *http.Request) (federated.Connector, error) {
	c, ok := m.connectors[mux.Vars(r)["connectorId"]]
	if !ok {
		return federated.Connector{}, domain.E("entity.not_exists_with_id")
	}
	return c.Connector, nil
}
