package onelogin

import (
	"time"

	"github.com/authtrail/authtrail/domain"
)

// AggregateType names API client aggregates:
// events.apiclient.<hex SHA-256 of "apiclient:" + clientId>.
const AggregateType = "apiclient"

// TokenLifetime is how long an access token is valid (expires_in 36000).
const TokenLifetime = 10 * time.Hour

// TokenIssued records a new access token. The token is not in it: it is
// derived from TokenID with the server key, and TokenHash finds it.
type TokenIssued struct {
	TokenID   string    `json:"tokenId"`
	TokenHash string    `json:"tokenHash"` // hex SHA-256 of the token
	Scope     string    `json:"scope"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (TokenIssued) EventType() string { return "apiclient.token.issued" }

// TokenRevoked ends the token with this hash before it expires.
type TokenRevoked struct {
	TokenHash string    `json:"tokenHash"`
	At        time.Time `json:"at"`
}

func (TokenRevoked) EventType() string { return "apiclient.token.revoked" }

// TokenEvents decodes stored API client events.
var TokenEvents = domain.Registry{
	"apiclient.token.issued":  func() domain.Event { return &TokenIssued{} },
	"apiclient.token.revoked": func() domain.Event { return &TokenRevoked{} },
}

// TokenState is a client's token as the events leave it: the last issued
// token, unless it was revoked. Tokens are issued only when the previous one
// is expired or revoked, so there is at most one live token, and the state
// after any event depends on that event alone: folding the last event gives
// the same state as folding the whole history.
type TokenState struct {
	Current *TokenIssued // nil: none issued, or the last one revoked
}

// Apply folds one event into the state.
func (s TokenState) Apply(ev domain.Event) TokenState {
	switch e := ev.(type) {
	case *TokenIssued:
		s.Current = e
	case *TokenRevoked:
		if s.Current != nil && s.Current.TokenHash == e.TokenHash {
			s.Current = nil
		}
	}
	return s
}

// FoldTokens folds events in order.
func FoldTokens(events []domain.Event) TokenState {
	var s TokenState
	for _, ev := range events {
		s = s.Apply(ev)
	}
	return s
}

// Valid returns the current token when it is live at now and was issued
// with scope (a credential whose scope changed needs a new token).
func (s TokenState) Valid(now time.Time, scope string) (*TokenIssued, bool) {
	if s.Current == nil || !now.Before(s.Current.ExpiresAt) || s.Current.Scope != scope {
		return nil, false
	}
	return s.Current, true
}
