package webhooks

import (
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/domain/webhook"
	"github.com/authtrail/authtrail/eventstore"
)

// Filter selects the events that can fire a hook.
var Filter = []string{
	eventstore.SubjectPrefix + "." + interaction.AggregateType + ".>",
	eventstore.SubjectPrefix + "." + user.AggregateType + ".>",
	eventstore.SubjectPrefix + "." + sentinel.AggregateType + ".>",
}

// submitted names the hook event of a successful submit by its interaction
// event: a submit is recorded only when it succeeds, so a sign-in stopped
// by MFA fires nothing until its submit does.
var submitted = map[string]string{
	settings.EventSignIn:         webhook.PostSignIn,
	settings.EventRegister:       webhook.PostRegister,
	settings.EventForgotPassword: webhook.PostResetPassword,
}

// userChanges are the user events that fire User.Data.Updated (the
// profile, the password, MFA settings and factors, suspension), once per
// request.
var userChanges = map[string]bool{
	"user.profile.updated": true, "user.password.changed": true, "user.mfa_config.updated": true,
	"user.mfa.factor_added": true, "user.mfa.factor_removed": true, "user.suspended": true, "user.reinstated": true,
}

// hookEvent is the hook event an event of the log fires, or "".
func hookEvent(env eventstore.Envelope, ev domain.Event) string {
	switch e := ev.(type) {
	case *interaction.Submitted:
		return submitted[e.Event]
	case *user.Registered:
		return webhook.UserCreated
	case *sentinel.Locked:
		return webhook.IdentifierLockout
	}
	if userChanges[env.Type] {
		return webhook.UserDataUpdated
	}
	return ""
}
