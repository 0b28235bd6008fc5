package enterprisesso

import (
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// RecordType is the wire type of the method's record.
const RecordType = "EnterpriseSso"

// Record is an EnterpriseSso record: an authorization at a company's IdP,
// pending until its answer (an OIDC code, a SAML response) was checked.
type Record struct{ federated.Record }

var (
	_ interaction.Federated     = Record{}
	_ interaction.ProfileSource = Record{}
	_ interaction.AuthMethod    = Record{}
)

// CheckIdentify: SSO signs in only with singleSignOnEnabled, and cannot
// reset a password.
func (r Record) CheckIdentify(event string, sie *settings.SignInExperience) error {
	if event == settings.EventForgotPassword {
		return domain.E("session.not_supported_for_forgot_password@identification")
	}
	if !sie.SingleSignOnEnabled {
		return domain.E("user.sign_in_method_not_enabled")
	}
	return nil
}

// Identifies names the identity's owner: (issuer, subject).
func (r Record) Identifies() interaction.Identity {
	return interaction.Identity{Kind: user.KindSSO, Value: r.FederatedIdentity().Key()}
}

// FederatedIdentity is the identity the IdP proved, keyed by its issuer.
func (r Record) FederatedIdentity() user.Identity {
	id := user.Identity{Kind: user.KindSSO, ConnectorID: r.ConnectorID}
	if r.Info != nil {
		id.Target, id.ID, id.Email, id.Phone, id.Name, id.Avatar = r.Info.Issuer, r.Info.ID, r.Info.Email, r.Info.Phone, r.Info.Name, r.Info.Avatar
	}
	return id
}

// ProfileType: an SSO identity is staged only by registration and
// sign-in, never through POST /profile.
func (r Record) ProfileType() string { return "" }

// Profile stages the identity, the synced name and avatar, and the IdP's
// email as an offer: a registration takes it only when no other user has
// it (an unverified one relates nobody).
func (r Record) Profile() *interaction.ProfileStaged { return r.Staged(r.FederatedIdentity(), false) }
