package interaction_test

import (
	"reflect"
	"testing"

	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

// The MFA API's explicit SMS and Email devices count as the phone and email
// factors through the profile, once, and not without the profile's value.
func TestEnabledFactorsWithExplicitPhoneAndEmail(t *testing.T) {
	sie := settings.Default()
	sie.MFA = settings.MFA{Factors: []string{user.FactorTotp, user.FactorPhone, user.FactorEmail}, Policy: interaction.PolicyUserControlled}
	explicit := []user.Factor{
		{ID: "p", Type: user.FactorPhone, Destination: "61412345678"},
		{ID: "e", Type: user.FactorEmail, Destination: "a@example.com"},
		{ID: "t", Type: user.FactorTotp},
	}
	withProfile := &user.State{ID: "1", Exists: true, PrimaryPhone: "61412345678", PrimaryEmail: "a@example.com", Factors: explicit}
	want := []string{user.FactorTotp, user.FactorPhone, user.FactorEmail}
	if got := interaction.EnabledFactors(&sie, withProfile); !reflect.DeepEqual(got, want) {
		t.Fatalf("with profile: %v, want %v", got, want)
	}
	implicit := &user.State{ID: "1", Exists: true, PrimaryPhone: "61412345678", PrimaryEmail: "a@example.com", Factors: explicit[2:]}
	if got := interaction.EnabledFactors(&sie, implicit); !reflect.DeepEqual(got, want) {
		t.Fatalf("implicit: %v, want %v", got, want)
	}
	noProfile := &user.State{ID: "1", Exists: true, Factors: explicit}
	if got := interaction.EnabledFactors(&sie, noProfile); !reflect.DeepEqual(got, []string{user.FactorTotp}) {
		t.Fatalf("without profile: %v", got)
	}
}
