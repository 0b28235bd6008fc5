package social

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/workers/connectors/oidc"
)

// RecordType is the wire type of the method's record.
const RecordType = "Social"

// Record is a Social record: an authorization at a provider, pending until
// the provider's callback was exchanged for the user's identity.
type Record struct {
	interaction.RecordBase
	ConnectorID string
	Target      string
	SyncProfile bool
	// Session is the pending authorization (Logto's connectorSession):
	// consumed by the first verify that gets past the state check.
	Session *Session
	// Callback is the callback being (or last) exchanged.
	Callback string
	// Info is who the provider said signed in, once verified.
	Info *UserInfo
}

// Session is what verify needs of the authorization: a digest of its
// state, the redirect URI, and the PKCE verifier and nonce, sealed.
type Session struct {
	StateDigest string      `json:"stateDigest"`
	RedirectURI string      `json:"redirectUri"`
	Secrets     user.Sealed `json:"secrets"`
}

// UserInfo is the provider's account of the user (Logto's socialUserInfo),
// as the connector read it: the Verified event carries it.
type UserInfo = oidc.UserInfo

var (
	_ interaction.Federated     = Record{}
	_ interaction.ProfileSource = Record{}
	_ interaction.AuthMethod    = Record{}
)

// AMR: a sign-in at a federated provider.
func (r Record) AMR() string { return "fed" }

// CheckIdentify: social sign-in needs no sign-in method; it cannot reset
// a password.
func (r Record) CheckIdentify(event string, _ *settings.SignInExperience) error {
	if event == settings.EventForgotPassword {
		return domain.E("session.not_supported_for_forgot_password@identification")
	}
	return nil
}

// Identifies names the identity's owner.
func (r Record) Identifies() interaction.Identity {
	return interaction.Identity{Kind: user.KindSocial, Value: r.FederatedIdentity().Key()}
}

// FederatedIdentity is the identity the provider proved.
func (r Record) FederatedIdentity() user.Identity {
	id := user.Identity{Kind: user.KindSocial, Target: r.Target, ConnectorID: r.ConnectorID}
	if r.Info != nil {
		id.ID, id.Email, id.Phone, id.Name, id.Avatar = r.Info.ID, r.Info.Email, r.Info.Phone, r.Info.Name, r.Info.Avatar
	}
	return id
}

// VerifiedContacts are the email and phone the provider verified.
func (r Record) VerifiedContacts() (email, phone string) {
	if r.Info == nil {
		return "", ""
	}
	if r.Info.EmailVerified {
		email = r.Info.Email
	}
	if r.Info.PhoneVerified {
		phone = r.Info.Phone
	}
	return email, phone
}

// ProfileType: POST /profile {type: "social"}.
func (r Record) ProfileType() string { return "social" }

// Profile stages the identity, the synced name and avatar, and the
// provider's email and phone as offers: a registration takes them only
// when no other user has them (docs/experience.md, Registration).
func (r Record) Profile() *interaction.ProfileStaged {
	id := r.FederatedIdentity()
	p := &interaction.ProfileStaged{Identity: &id, Offered: true}
	if r.Info == nil {
		return p
	}
	if r.SyncProfile {
		p.Name, p.Avatar = nonEmpty(r.Info.Name), nonEmpty(r.Info.Avatar)
	}
	p.PrimaryEmail, p.PrimaryPhone = nonEmpty(r.Info.Email), nonEmpty(r.Info.Phone)
	return p
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// AuthorizationStarted creates a Social record with its pending
// authorization (POST /verification/social/{connectorId}/authorization-uri).
type AuthorizationStarted struct {
	VerificationID string  `json:"verificationId"`
	ConnectorID    string  `json:"connectorId"`
	Target         string  `json:"target"`
	SyncProfile    bool    `json:"syncProfile,omitempty"`
	Session        Session `json:"session"`
}

// CallbackReceived consumes the pending authorization with the provider's
// callback (its code sealed), for the connector worker to exchange by
// Deadline. The contract keeps it when the exchange fails: a verify cannot
// be repeated with the same authorization.
type CallbackReceived struct {
	VerificationID string      `json:"verificationId"`
	CallbackID     string      `json:"callbackId"`
	ConnectorID    string      `json:"connectorId"`
	Code           user.Sealed `json:"code"`
	RedirectURI    string      `json:"redirectUri"`
	Secrets        user.Sealed `json:"secrets"`
	Deadline       time.Time   `json:"deadline"`
}

// ExchangeStarted: the worker is calling the provider for a callback. A
// worker that finds it without an outcome crashed mid-call, and records
// that instead of exchanging the code a second time.
type ExchangeStarted struct {
	VerificationID string `json:"verificationId"`
	CallbackID     string `json:"callbackId"`
}

// Verified records the identity the provider proved for a callback.
type Verified struct {
	VerificationID string   `json:"verificationId"`
	CallbackID     string   `json:"callbackId"`
	Info           UserInfo `json:"userInfo"`
}

// VerificationFailed records a refused social verification: a state that
// does not match (the authorization stays pending), or a callback the
// provider or its checks refused, the provider not answering in time, or
// a worker that stopped mid-call (Reason says which).
type VerificationFailed struct {
	VerificationID string `json:"verificationId"`
	CallbackID     string `json:"callbackId,omitempty"`
	Code           string `json:"code"`
	Reason         string `json:"reason"`
}

func (AuthorizationStarted) EventType() string { return "interaction.social.authorization_started" }
func (CallbackReceived) EventType() string     { return "interaction.social.callback_received" }
func (ExchangeStarted) EventType() string      { return "interaction.social.exchange_started" }
func (Verified) EventType() string             { return "interaction.social.verified" }
func (VerificationFailed) EventType() string   { return "interaction.social.verification_failed" }

func (CallbackReceived) KeptOnRefusal()          {}
func (ExchangeStarted) KeptOnRefusal()           {}
func (VerificationFailed) RecordsFailure()       {}
func (e VerificationFailed) RefusedWith() string { return e.Code }

func (e *AuthorizationStarted) ApplyTo(s *interaction.State) {
	session := e.Session
	s.PutRecord(Record{RecordBase: interaction.RecordBase{ID: e.VerificationID, Type: RecordType},
		ConnectorID: e.ConnectorID, Target: e.Target, SyncProfile: e.SyncProfile, Session: &session})
}

func (e *CallbackReceived) ApplyTo(s *interaction.State) {
	interaction.UpdateRecordOf(s, e.VerificationID, func(r *Record) { r.Session, r.Callback = nil, e.CallbackID })
}

func (e *ExchangeStarted) ApplyTo(*interaction.State) {}

func (e *Verified) ApplyTo(s *interaction.State) {
	interaction.UpdateRecordOf(s, e.VerificationID, func(r *Record) {
		if r.Callback == e.CallbackID {
			info := e.Info
			r.Info, r.Verified = &info, true
		}
	})
}

func (e *VerificationFailed) ApplyTo(*interaction.State) {}

// Events decodes the method's events.
var Events = domain.Registry{
	"interaction.social.authorization_started": func() domain.Event { return &AuthorizationStarted{} },
	"interaction.social.callback_received":     func() domain.Event { return &CallbackReceived{} },
	"interaction.social.exchange_started":      func() domain.Event { return &ExchangeStarted{} },
	"interaction.social.verified":              func() domain.Event { return &Verified{} },
	"interaction.social.verification_failed":   func() domain.Event { return &VerificationFailed{} },
}
