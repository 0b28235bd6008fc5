package grant

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
)

// State is a grant as of its last event.
type State struct {
	ID            string
	Request       *Requested
	Refused       bool
	Authenticated *Authenticated
	Code          *CodeIssued
	Exchanged     bool
	Revoked       bool
	// Access maps the live access tokens' ids to their expiry.
	Access map[string]time.Time
	// Refresh is the live refresh token, if any; Spent are the ids of the
	// rotated ones, whose reuse revokes the grant; Digests hold every refresh
	// token's digest by id, so a reuse is recognised only with its secret.
	Refresh *Tokens
	Spent   []string
	Digests map[string]code.Digest
	// Issued counts the token sets issued, to name the next.
	Issued int
}

// Fold rebuilds a grant from its events, oldest first.
func Fold(id string, events []domain.Event) State {
	s := State{ID: id}
	for _, ev := range events {
		s.Apply(ev)
	}
	return s
}

// Apply evolves the state by one event.
func (s *State) Apply(ev domain.Event) {
	switch e := ev.(type) {
	case *Requested:
		s.Request = e
	case *Refused:
		s.Refused = s.Refused || e.Endpoint == EndpointAuthorization
	case *CodeIssued:
		s.Code = e
		a := e.Authenticated
		s.Authenticated = &a
	case *CodeExchanged:
		s.Exchanged = true
		s.issue(e.Tokens)
	case *RefreshRotated:
		s.Spent = append(slices.Clone(s.Spent), e.PreviousTokenID)
		s.issue(e.Tokens)
	case *TokenRevoked:
		if s.Refresh != nil && s.Refresh.RefreshTokenID == e.TokenID {
			s.Revoked = true
		}
		s.Access = without(s.Access, e.TokenID)
	case *Revoked:
		s.Revoked = true
	}
}

func (s *State) issue(t Tokens) {
	s.Issued++
	s.Access = without(s.Access, "")
	s.Access[t.AccessTokenID] = t.AccessExpiresAt
	if t.Refresh != nil {
		tokens := t
		s.Refresh = &tokens
		digests := make(map[string]code.Digest, len(s.Digests)+1)
		for k, v := range s.Digests {
			digests[k] = v
		}
		digests[t.RefreshTokenID] = *t.Refresh
		s.Digests = digests
	}
}

// without is a copy of m without key (the state's maps are never shared
// with an earlier state).
func without(m map[string]time.Time, key string) map[string]time.Time {
	out := make(map[string]time.Time, len(m)+1)
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// Endpoints a refusal names.
const (
	EndpointAuthorization = "authorization"
	EndpointCallback      = "callback"
	EndpointToken         = "token"
	EndpointLogout        = "logout"
)

// Ready reports whether the request waits for its sign-in at now.
func (s State) Ready(now time.Time) bool {
	return s.Request != nil && !s.Refused && s.Authenticated == nil && now.Before(s.Request.ExpiresAt)
}

// AccessActive reports whether the access token id is live at now.
func (s State) AccessActive(tokenID string, now time.Time) bool {
	exp, ok := s.Access[tokenID]
	return ok && !s.Revoked && now.Before(exp)
}

// TokenIDs names the i-th token set of grant id: the grant is found again
// from a token id.
func TokenIDs(grantID string, i int) (access, refresh string) {
	n := strconv.Itoa(i)
	return grantID + ".a" + n, grantID + ".r" + n
}

// GrantOf is the grant a token id names, or "" for no token id of ours.
func GrantOf(tokenID string) string {
	id, rest, ok := strings.Cut(tokenID, ".")
	if !ok || !domain.IsID(id) || len(rest) < 2 || (rest[0] != 'a' && rest[0] != 'r') {
		return ""
	}
	if _, err := strconv.Atoi(rest[1:]); err != nil {
		return ""
	}
	return id
}

// Authenticate answers the request with a sign-in and issues its code
// (§2 of the provider contract): only a live request that no sign-in has
// answered yet.
func Authenticate(s State, a Authenticated, code code.Digest, now time.Time, codeTTL time.Duration) ([]domain.Event, error) {
	if !s.Ready(now) {
		return nil, domain.E("oidc.authorization_not_found")
	}
	return []domain.Event{&CodeIssued{Authenticated: a, Code: code, ExpiresAt: now.Add(codeTTL)}}, nil
}

// CodeCheck says whether a presented code may be exchanged: matches
// reports that it is this grant's code.
func CodeCheck(s State, matches bool, now time.Time) error {
	switch {
	case s.Code == nil || s.Authenticated == nil || !matches:
		return domain.E("oidc.invalid_grant")
	case s.Exchanged || s.Revoked:
		return domain.E("oidc.invalid_grant@code_reused")
	case !now.Before(s.Code.ExpiresAt):
		return domain.E("oidc.invalid_grant@code_expired")
	}
	return nil
}

// Exchange spends the code for tokens. A code spent already is a reuse:
// refused, and the grant revoked (RFC 6749 §4.1.2: the tokens of the first
// exchange too); the events returned then are the refusal's.
func Exchange(s State, matches bool, tokens Tokens, now time.Time) ([]domain.Event, error) {
	if err := CodeCheck(s, matches, now); err != nil {
		if matches && s.Exchanged && !s.Revoked {
			return []domain.Event{&CodeReused{}, &Revoked{Reason: ReasonCodeReused}}, err
		}
		return nil, err
	}
	return []domain.Event{&CodeExchanged{Tokens: tokens}}, nil
}

// RefreshCheck says whether the presented refresh token (by id; matches
// reports that its secret matched) may be rotated at now.
func RefreshCheck(s State, tokenID string, matches bool, now time.Time) error {
	switch {
	case !matches:
		return domain.E("oidc.invalid_grant")
	case slices.Contains(s.Spent, tokenID):
		return domain.E("oidc.invalid_grant@refresh_reused")
	case s.Revoked || s.Refresh == nil || s.Refresh.RefreshTokenID != tokenID:
		return domain.E("oidc.invalid_grant")
	case s.Refresh.RefreshExpiresAt != nil && !now.Before(*s.Refresh.RefreshExpiresAt):
		return domain.E("oidc.invalid_grant@refresh_expired")
	}
	return nil
}

// Rotate spends a refresh token for new tokens. A spent one presented again
// revokes the grant; the events returned then are the refusal's.
func Rotate(s State, tokenID string, matches bool, tokens Tokens, now time.Time) ([]domain.Event, error) {
	if err := RefreshCheck(s, tokenID, matches, now); err != nil {
		if matches && slices.Contains(s.Spent, tokenID) && !s.Revoked {
			return []domain.Event{&RefreshReused{TokenID: tokenID}, &Revoked{Reason: ReasonRefreshReused}}, err
		}
		return nil, err
	}
	return []domain.Event{&RefreshRotated{PreviousTokenID: tokenID, Tokens: tokens}}, nil
}

// Revoke revokes a token of the grant (RFC 7009 §2.2: an unknown or spent
// token is no error, and nothing is recorded).
func Revoke(s State, tokenID string) []domain.Event {
	if s.Revoked {
		return nil
	}
	if _, live := s.Access[tokenID]; live || (s.Refresh != nil && s.Refresh.RefreshTokenID == tokenID) {
		return []domain.Event{&TokenRevoked{TokenID: tokenID}}
	}
	return nil
}
