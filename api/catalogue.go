package api

import (
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/grant"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/ratelimit"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/session"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/domain/webhook"
)

// Catalogue is every aggregate type the server writes (the second token of
// its subjects, events.<type>.<id>) with the registry that decodes its
// events, the interaction's with those of the registered authentication
// methods: what a reader of the whole log needs to turn any event back into
// its Go type.
func (s *Server) Catalogue() map[string]domain.Registry { return Catalogue(s.experience.Events()) }

// Catalogue is the catalogue of a server whose interactions have these
// events.
func Catalogue(interactions domain.Registry) map[string]domain.Registry {
	return map[string]domain.Registry{
		interaction.AggregateType:    interactions,
		code.DeliveryAggregateType:   code.DeliveryEvents,
		user.AggregateType:           user.Events,
		user.ClaimAggregateType:      user.ClaimEvents,
		sentinel.AggregateType:       sentinel.Events,
		ratelimit.AggregateType:      ratelimit.Events,
		mfaapi.RegistrationAggregate: mfaapi.RegistrationEvents,
		mfaapi.VerificationAggregate: mfaapi.VerificationEvents,
		mfaapi.SendAggregate:         mfaapi.SendEvents,
		onelogin.AggregateType:       onelogin.TokenEvents,
		webhook.AggregateType:        webhook.Events,
		grant.AggregateType:          grant.Events,
		session.AggregateType:        session.Events,
	}
}
