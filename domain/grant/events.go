// Package grant is an application's authorization at the OpenID Connect
// provider (docs/oidc.md): the authorization request of one client, the
// sign-in that answered it, its single-use code and the tokens issued from
// it, rotated and revoked. A grant is an aggregate, events.grant.<id>, the
// id being the authorization request's (the uid of /oidc/auth/{uid}).
// Codes and refresh tokens are kept as keyed digests only; access tokens
// by id and expiry.
package grant

import (
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
)

// AggregateType names grant aggregates.
const AggregateType = "grant"

// Requested is an authorization request the provider accepted
// (GET /oidc/auth): what the client asked for, kept to answer it.
type Requested struct {
	ClientID            string   `json:"clientId"`
	RedirectURI         string   `json:"redirectUri"`
	Scopes              []string `json:"scopes"`
	ResponseType        string   `json:"responseType"`
	ResponseMode        string   `json:"responseMode,omitempty"`
	State               string   `json:"state,omitempty"`
	Nonce               string   `json:"nonce,omitempty"`
	CodeChallenge       string   `json:"codeChallenge,omitempty"`
	CodeChallengeMethod string   `json:"codeChallengeMethod,omitempty"`
	Prompt              []string `json:"prompt,omitempty"`
	MaxAge              *uint    `json:"maxAge,omitempty"`
	LoginHint           string   `json:"loginHint,omitempty"`
	// Resources are the APIs the access tokens are for (RFC 8707): JWT
	// access tokens with them as audience (RFC 9068).
	Resources []string  `json:"resources,omitempty"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Refused is a request of the provider it refused (an authorization or a
// token request): the OAuth error it answered and why.
type Refused struct {
	Endpoint    string `json:"endpoint"` // authorization | token | callback
	ClientID    string `json:"clientId,omitempty"`
	RedirectURI string `json:"redirectUri,omitempty"`
	GrantType   string `json:"grantType,omitempty"`
	Error       string `json:"error"`
	Description string `json:"description,omitempty"`
}

// Authenticated is the sign-in that answers the request: the user, the
// session it belongs to, when and how the user authenticated.
// CodeIssued carries it.
type Authenticated struct {
	UserID        string    `json:"userId"`
	SessionID     string    `json:"sessionId"`
	InteractionID string    `json:"interactionId,omitempty"` // empty when an existing session answered
	AuthTime      time.Time `json:"authTime"`
	AMR           []string  `json:"amr"`
}

// CodeIssued answers the request: the sign-in (or the session) that
// authenticated the user, and the code sent to the client, as a digest.
// One event, so that answering a request is one single-message append.
type CodeIssued struct {
	Authenticated
	Code      code.Digest `json:"code"`
	ExpiresAt time.Time   `json:"expiresAt"`
}

// CodeExchanged is the code's one exchange, with the tokens it gave.
type CodeExchanged struct {
	Tokens Tokens `json:"tokens"`
}

// CodeReused is a second exchange of a spent code: refused, and the grant
// is revoked with it (the tokens of the first exchange too).
type CodeReused struct{}

// Tokens are the tokens one exchange or rotation issued: ids and expiry,
// never the tokens; the refresh token as a digest.
type Tokens struct {
	AccessTokenID    string       `json:"accessTokenId"`
	AccessExpiresAt  time.Time    `json:"accessExpiresAt"`
	RefreshTokenID   string       `json:"refreshTokenId,omitempty"`
	Refresh          *code.Digest `json:"refresh,omitempty"`
	RefreshExpiresAt *time.Time   `json:"refreshExpiresAt,omitempty"`
}

// RefreshRotated is a refresh: the presented refresh token is spent and
// these tokens replace it.
type RefreshRotated struct {
	PreviousTokenID string `json:"previousTokenId"`
	Tokens          Tokens `json:"tokens"`
}

// RefreshReused is a spent refresh token presented again: someone holds a
// copy, so the grant is revoked.
type RefreshReused struct {
	TokenID string `json:"tokenId"`
}

// TokenRevoked is one token revoked (RFC 7009). Revoking the refresh
// token ends the grant, its access tokens with it.
type TokenRevoked struct {
	TokenID string `json:"tokenId"`
}

// Revoked ends the grant: none of its tokens is active from here on.
type Revoked struct {
	Reason string `json:"reason"` // code_reused | refresh_reused
}

// Revocation reasons.
const (
	ReasonCodeReused    = "code_reused"
	ReasonRefreshReused = "refresh_reused"
)

func (Requested) EventType() string      { return "oidc.authorization.requested" }
func (Refused) EventType() string        { return "oidc.request.refused" }
func (CodeIssued) EventType() string     { return "oidc.code.issued" }
func (CodeExchanged) EventType() string  { return "oidc.code.exchanged" }
func (CodeReused) EventType() string     { return "oidc.code.reused" }
func (RefreshRotated) EventType() string { return "oidc.refresh.rotated" }
func (RefreshReused) EventType() string  { return "oidc.refresh.reused" }
func (TokenRevoked) EventType() string   { return "oidc.token.revoked" }
func (Revoked) EventType() string        { return "oidc.grant.revoked" }

// The refusals' trail: these commit with the refusal they record.
func (Refused) RecordsFailure()       {}
func (CodeReused) RecordsFailure()    {}
func (RefreshReused) RecordsFailure() {}

// Revoked is only ever the consequence of a reuse, which is refused.
func (Revoked) RecordsFailure() {}

// Events decodes grant events.
var Events = domain.Registry{
	"oidc.authorization.requested": func() domain.Event { return &Requested{} },
	"oidc.request.refused":         func() domain.Event { return &Refused{} },
	"oidc.code.issued":             func() domain.Event { return &CodeIssued{} },
	"oidc.code.exchanged":          func() domain.Event { return &CodeExchanged{} },
	"oidc.code.reused":             func() domain.Event { return &CodeReused{} },
	"oidc.refresh.rotated":         func() domain.Event { return &RefreshRotated{} },
	"oidc.refresh.reused":          func() domain.Event { return &RefreshReused{} },
	"oidc.token.revoked":           func() domain.Event { return &TokenRevoked{} },
	"oidc.grant.revoked":           func() domain.Event { return &Revoked{} },
}
