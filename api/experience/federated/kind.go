// Package federated is what the social and the enterprise SSO methods
// share: a sign-in whose outcome comes from outside. An authorization at a
// provider (always with PKCE S256 and a nonce for OIDC and OAuth 2.0, a
// request id for SAML), the provider's answer recorded as an event with its
// sensitive parts sealed, the connector worker that exchanges or checks it
// once and records the outcome on the interaction, and the request waiting
// for that outcome. Each method names its own record and events through a
// Kind, and keeps its rules (what the record identifies, what it stages).
package federated

import (
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/workers/connectors"
)

// Kind is one federated method: the infix of its events' types
// (interaction.<name>.verified), its record's wire type, its worker's
// name, and how its record type wraps the shared fields.
type Kind struct {
	Name       string
	RecordType string
	WorkerName string
	// ACS: the method receives responses at an assertion consumer service
	// (SAML), recorded by ResponseReceived.
	ACS    bool
	wrap   func(Record) interaction.Record
	unwrap func(interaction.Record) (Record, bool)
}

// NewKind declares a method's kind; wrap makes its record R of the shared
// fields, unwrap returns them.
func NewKind[R interaction.Record](name, recordType, workerName string, acs bool, wrap func(Record) R, unwrap func(R) Record) *Kind {
	return &Kind{Name: name, RecordType: recordType, WorkerName: workerName, ACS: acs,
		wrap: func(r Record) interaction.Record { return wrap(r) },
		unwrap: func(r interaction.Record) (Record, bool) {
			x, ok := r.(R)
			if !ok {
				return Record{}, false
			}
			return unwrap(x), true
		}}
}

// Record is what a federated record holds, whatever its method.
type Record struct {
	interaction.RecordBase
	ConnectorID string
	// Target is a social connector's target ("" for SSO: the identity is
	// keyed by the IdP's issuer).
	Target      string
	SyncProfile bool
	// TrustUnverifiedEmail: the connector's IdP email counts as verified
	// (SSO connectors' trustUnverifiedEmail).
	TrustUnverifiedEmail bool
	// Session is the pending authorization (Logto's connectorSession):
	// consumed by the first verify that gets past the state check.
	Session *Session
	// Response is a SAML response received at the assertion consumer
	// service, for the next verify to hand to the worker.
	Response *Response
	// Callback is the callback being (or last) exchanged.
	Callback string
	// Info is who the provider said signed in, once verified.
	Info *connectors.UserInfo
}

// Session is what verify needs of the authorization: a digest of the
// client's state, the redirect URI, the SAML RelayState, and the drawn
// authorization (connectors.Authorization), sealed.
type Session struct {
	StateDigest string      `json:"stateDigest"`
	RedirectURI string      `json:"redirectUri"`
	RelayState  string      `json:"relayState,omitempty"`
	Secrets     user.Sealed `json:"secrets"`
}

// Response is a SAML response waiting for verify, sealed under its id.
type Response struct {
	ID     string
	Sealed user.Sealed
}

// Of returns the shared fields of r when r is a record of the kind.
func (k *Kind) Of(r interaction.Record) (Record, bool) { return k.unwrap(r) }

// record finds the kind's record with id.
func (k *Kind) record(s interaction.State, id string) (Record, bool) {
	r, ok := s.Record(id)
	if !ok {
		return Record{}, false
	}
	return k.unwrap(r)
}

// update changes the kind's record with id.
func (k *Kind) update(s *interaction.State, id string, fn func(*Record)) {
	s.UpdateRecord(id, func(r interaction.Record) interaction.Record {
		rec, ok := k.unwrap(r)
		if !ok {
			return r
		}
		fn(&rec)
		return k.wrap(rec)
	})
}

// VerifiedContacts are the email and phone the provider verified (an
// email trusted by the connector counts as verified).
func (r Record) VerifiedContacts() (email, phone string) {
	if r.Info == nil {
		return "", ""
	}
	if r.Info.EmailVerified || r.TrustUnverifiedEmail {
		email = r.Info.Email
	}
	if r.Info.PhoneVerified {
		phone = r.Info.Phone
	}
	return email, phone
}

// AMR: a sign-in at a federated provider.
func (r Record) AMR() string { return "fed" }

// Staged is what a record of identity id stages: the identity, the synced
// name and avatar (syncProfile), and the provider's email (and phone, when
// withPhone) as offers: a registration takes them only when no other user
// has them (docs/experience.md, Registration).
func (r Record) Staged(id user.Identity, withPhone bool) *interaction.ProfileStaged {
	p := &interaction.ProfileStaged{Identity: &id, Offered: true}
	if r.Info == nil {
		return p
	}
	if r.SyncProfile {
		p.Name, p.Avatar = nonEmpty(r.Info.Name), nonEmpty(r.Info.Avatar)
	}
	p.PrimaryEmail = nonEmpty(r.Info.Email)
	if withPhone {
		p.PrimaryPhone = nonEmpty(r.Info.Phone)
	}
	return p
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
