package user

// Identity kinds: a social identity is keyed by its connector's target
// (google, github…) and the provider's user id; an enterprise SSO identity
// by the IdP's issuer and subject. Both are claimed like identifiers
// (KindSocial, KindSSO), so one identity belongs to one user.
const (
	KindSocial = "social"
	KindSSO    = "sso"
)

// Identity is a user's account at a social provider or an enterprise IdP.
// Email and Phone are what the provider said, for display; they prove
// nothing on their own.
type Identity struct {
	Kind string `json:"kind"` // KindSocial | KindSSO
	// Target is the social connector's target, or the SSO IdP's issuer.
	Target      string `json:"target"`
	ID          string `json:"id"`
	ConnectorID string `json:"connectorId"`
	Email       string `json:"email,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Name        string `json:"name,omitempty"`
	Avatar      string `json:"avatar,omitempty"`
}

// Key is the identity's claim key: unique per kind.
func (i Identity) Key() string { return i.Target + " " + i.ID }

// IdentityLinked links an identity to the user (registration from it, an
// explicit link, or an SSO auto-link by verified email).
type IdentityLinked struct {
	Identity      Identity `json:"identity"`
	InteractionID string   `json:"interactionId,omitempty"`
}

func (IdentityLinked) EventType() string { return "user.identity.linked" }

// linkIdentity puts id into the user's identities, replacing an older link
// of the same kind and target.
func (s *State) linkIdentity(id Identity) {
	out := make([]Identity, 0, len(s.Identities)+1)
	for _, old := range s.Identities {
		if old.Kind != id.Kind || old.Target != id.Target {
			out = append(out, old)
		}
	}
	s.Identities = append(out, id)
}
