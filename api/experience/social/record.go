package social

import (
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// RecordType is the wire type of the method's record.
const RecordType = "Social"

// Record is a Social record: an authorization at a provider, pending until
// the provider's callback was exchanged for the user's identity.
type Record struct{ federated.Record }

var (
	_ interaction.Federated     = Record{}
	_ interaction.ProfileSource = Record{}
	_ interaction.AuthMethod    = Record{}
)

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

// ProfileType: POST /profile {type: "social"}.
func (r Record) ProfileType() string { return "social" }

// Profile stages the identity, the synced name and avatar, and the
// provider's email and phone as offers: a registration takes them only
// when no other user has them (docs/experience.md, Registration).
func (r Record) Profile() *interaction.ProfileStaged { return r.Staged(r.FederatedIdentity(), true) }
