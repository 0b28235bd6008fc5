package enterprisesso

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/workers/connectors"
)

// ACSPath is the path of connector id's assertion consumer service; its
// SP metadata is at ACSPath(id) + "/metadata".
func ACSPath(id string) string { return "/api/authn/single-sign-on/saml/" + id }

// maxResponseBytes bounds a posted SAML response: a signed assertion with
// a few attributes is a few kilobytes.
const maxResponseBytes = 256 << 10

// relayInteraction is the interaction a posted RelayState names
// ("<interaction id>.<verification id>", drawn at authorization-uri):
// the IdP's cross-site POST carries no cookie.
func relayInteraction(r *http.Request) string {
	id, _, _ := strings.Cut(r.PostFormValue("RelayState"), ".")
	if !domain.IsID(id) {
		return ""
	}
	return id
}

// response is a SAML response posted to the assertion consumer service,
// sealed under its new id.
type response struct {
	connectorID, relayState, verificationID string
	received                                *federated.ResponseReceived
}

func (m *Method) parseResponse(r *http.Request) (response, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxResponseBytes)
	if err := r.ParseForm(); err != nil {
		return response{}, experience.Unrecorded(httpx.Invalid("body", "the form cannot be read"))
	}
	in := response{connectorID: mux.Vars(r)["connectorId"], relayState: r.PostFormValue("RelayState")}
	c, ok := m.connectors[in.connectorID]
	if !ok || !c.SAML() {
		return in, experience.Unrecorded(domain.E("entity.not_exists_with_id"))
	}
	_, in.verificationID, _ = strings.Cut(in.relayState, ".")
	answer := r.PostFormValue("SAMLResponse")
	if answer == "" || in.verificationID == "" {
		return in, experience.Unrecorded(domain.E("session.connector_validation_session_not_found"))
	}
	id := m.Flow.NewID()
	sealed, err := m.Flow.Seal([]byte(answer), id)
	if err != nil {
		return in, err
	}
	in.received = Kind.ResponseReceived(in.verificationID, id, sealed)
	return in, nil
}

// receiveResponse records the response on the record its RelayState names
// and sends the browser back to the client's redirect URI with the
// client's state, for the client to call verify. A RelayState that names
// no pending authorization of this connector records nothing: the POST
// does not prove it belongs to the interaction.
func (m *Method) receiveResponse(_ context.Context, s *experience.Step, in response) (experience.Reply, error) {
	found, ok := s.State.Record(in.verificationID)
	rec, isSSO := Kind.Of(found)
	if !ok || !isSSO || rec.ConnectorID != in.connectorID || rec.Session == nil ||
		subtle.ConstantTimeCompare([]byte(rec.Session.RelayState), []byte(in.relayState)) != 1 {
		return experience.Reply{}, experience.Unrecorded(domain.E("session.connector_validation_session_not_found"))
	}
	plain, err := m.Flow.Open(rec.Session.Secrets, in.verificationID)
	if err != nil {
		return experience.Reply{}, err
	}
	var a connectors.Authorization
	if err := json.Unmarshal(plain, &a); err != nil {
		return experience.Reply{}, err
	}
	back, err := url.Parse(rec.Session.RedirectURI)
	if err != nil {
		return experience.Reply{}, experience.Unrecorded(domain.E("session.connector_validation_session_not_found"))
	}
	q := back.Query()
	q.Set("state", a.State)
	back.RawQuery = q.Encode()
	s.Append(in.received)
	return experience.Reply{Status: http.StatusFound, Header: http.Header{"Location": {back.String()},
		"Cache-Control": {"no-store"}}}, nil
}

// metadata serves GET /api/authn/single-sign-on/saml/{connectorId}/metadata:
// our SP metadata for the IdP's administrator.
func (m *Method) metadata(w http.ResponseWriter, r *http.Request) {
	c, ok := m.connectors[mux.Vars(r)["connectorId"]]
	if !ok || !c.SAML() {
		httpx.Error(w, r, m.Flow.Log(), domain.E("entity.not_exists_with_id"))
		return
	}
	doc, err := c.Metadata(r.Context())
	if err != nil {
		httpx.Error(w, r, m.Flow.Log(), federated.ProviderError(err))
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, _ = w.Write(doc)
}
