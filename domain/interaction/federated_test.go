package interaction_test

import (
	"slices"
	"testing"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// federatedRecord is a verified social or SSO record, as a method would
// keep it.
type federatedRecord struct {
	interaction.RecordBase
	id            user.Identity
	email, phone  string
	emailVerified bool
	// name is the synced name (a syncProfile connector's).
	name string
}

func (r federatedRecord) CheckIdentify(event string, _ *settings.SignInExperience) error {
	if event == settings.EventForgotPassword {
		return domain.E("session.not_supported_for_forgot_password@identification")
	}
	return nil
}
func (r federatedRecord) Identifies() interaction.Identity {
	return interaction.Identity{Kind: r.id.Kind, Value: r.id.Key()}
}
func (r federatedRecord) ProfileType() string { return "social" }
func (r federatedRecord) Profile() *interaction.ProfileStaged {
	id := r.id
	p := &interaction.ProfileStaged{Identity: &id, Offered: true}
	if r.name != "" {
		p.Name = &r.name
	}
	return p
}
func (r federatedRecord) FederatedIdentity() user.Identity { return r.id }
func (r federatedRecord) VerifiedContacts() (string, string) {
	if r.emailVerified {
		return r.email, r.phone
	}
	return "", r.phone
}

// federatedVerified puts the record in the interaction.
type federatedVerified struct{ rec federatedRecord }

func (federatedVerified) EventType() string              { return "test.federated.verified" }
func (e federatedVerified) ApplyTo(s *interaction.State) { s.PutRecord(e.rec) }

func federated(kind string, verified bool) domain.Event {
	return federatedVerified{federatedRecord{
		RecordBase: interaction.RecordBase{ID: "rec", Type: "Federated", Verified: verified},
		id:         user.Identity{Kind: kind, Target: "google", ID: "sub-1"},
	}}
}

func TestIdentifyFederated(t *testing.T) {
	sie := settings.Default()
	signIn := func(kind string, verified bool) interaction.State {
		return given(started("SignIn"), federated(kind, verified))
	}
	related := &interaction.Related{User: alice(), Type: "email", Value: "alice@example.com"}
	tests := []struct {
		name      string
		state     interaction.State
		in        interaction.FederatedInput
		wantCode  string
		wantTypes []string
	}{
		{"owner", signIn(user.KindSocial, true), interaction.FederatedInput{Owner: alice()}, "", []string{"interaction.identified"}},
		{"unverified", signIn(user.KindSocial, false), interaction.FederatedInput{Owner: alice()}, "session.verification_failed", nil},
		{"forgot password", given(started("ForgotPassword"), federated(user.KindSocial, true)), interaction.FederatedInput{Owner: alice()},
			"session.not_supported_for_forgot_password", nil},
		{"no owner", signIn(user.KindSocial, true), interaction.FederatedInput{}, "user.identity_not_exist", nil},
		{"related, not asked to link", signIn(user.KindSocial, true), interaction.FederatedInput{Related: related}, "user.identity_not_exist", nil},
		{"related, linked", signIn(user.KindSocial, true), interaction.FederatedInput{Related: related, Link: true}, "",
			[]string{"interaction.identified", "interaction.profile.staged"}},
		{"sso, no owner", signIn(user.KindSSO, true), interaction.FederatedInput{}, "user.sso_identity_not_exist", nil},
		{"sso, auto-linked by email", signIn(user.KindSSO, true), interaction.FederatedInput{Related: related}, "",
			[]string{"interaction.identified", "interaction.profile.staged"}},
		{"owner, profile synced", given(started("SignIn"), federatedVerified{federatedRecord{
			RecordBase: interaction.RecordBase{ID: "rec", Type: "Federated", Verified: true},
			id:         user.Identity{Kind: user.KindSocial, Target: "google", ID: "sub-1"}, name: "Alice A."}}),
			interaction.FederatedInput{Owner: alice()}, "", []string{"interaction.identified", "interaction.profile.staged"}},
		{"another user identified", given(started("SignIn"), federated(user.KindSocial, true), &interaction.Identified{UserID: "2"}),
			interaction.FederatedInput{Owner: alice()}, "session.identity_conflict", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.VerificationID = "rec"
			evs, err := interaction.IdentifyFederated(tt.state, &sie, tt.in)
			if domain.Code(err) != tt.wantCode || !slices.Equal(types(evs), tt.wantTypes) {
				t.Fatalf("got %v %v, want %v %q", types(evs), err, tt.wantTypes, tt.wantCode)
			}
		})
	}
	_, err := interaction.IdentifyFederated(signIn(user.KindSocial, true), &sie,
		interaction.FederatedInput{VerificationID: "rec", Related: related})
	if data, _ := domain.AsError(err); data == nil || data.Data == nil {
		t.Fatalf("identity_not_exist with a related user carries no relatedUser: %v", err)
	}
}

func TestStageFederatedIdentity(t *testing.T) {
	identified := given(started("SignIn"), federated(user.KindSocial, true), &interaction.Identified{UserID: "1"})
	tests := []struct {
		name     string
		state    interaction.State
		owner    string
		wantCode string
		want     int
	}{
		{"stages the identity", identified, "", "", 1},
		{"already the user's", identified, "1", "", 0},
		{"another user's", identified, "2", "user.identity_already_in_use", 0},
		{"before identification", given(started("SignIn"), federated(user.KindSocial, true)), "", "session.identifier_not_found", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := interaction.StageFederatedIdentity(tt.state, alice(), "rec", tt.owner)
			if domain.Code(err) != tt.wantCode || len(evs) != tt.want {
				t.Fatalf("got %v %v", types(evs), err)
			}
		})
	}
}
