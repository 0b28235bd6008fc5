package oidcprovider

import (
	"errors"

	"github.com/authtrail/authtrail/domain"
	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// oauthError renders a registered error (domain/errors.go, oidc.*) as the
// OAuth error the op library answers; any other error is a server error.
func oauthError(err error) *oidc.Error {
	var oe *oidc.Error
	if errors.As(err, &oe) {
		return oe
	}
	e, ok := domain.AsError(err)
	if !ok {
		return oidc.ErrServerError().WithParent(err)
	}
	var out *oidc.Error
	switch e.Code {
	case "invalid_grant":
		out = oidc.ErrInvalidGrant()
	case "login_required":
		out = oidc.ErrLoginRequired()
	case "interaction_required":
		out = oidc.ErrInteractionRequired()
	case "unsupported_response_type":
		out = &oidc.Error{ErrorType: "unsupported_response_type"}
	case "invalid_target":
		out = &oidc.Error{ErrorType: oidc.InvalidTarget}
	default:
		out = oidc.ErrInvalidRequest()
	}
	return out.WithDescription("%s", e.Message)
}
