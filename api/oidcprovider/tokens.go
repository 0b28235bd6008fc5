package oidcprovider

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/grant"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// A refresh token is <token id>.<secret>: the id (<grant id>.r<n>) finds
// the grant, the secret is checked against the digest the grant keeps.

func splitRefresh(token string) (grantID, tokenID, secret string, ok bool) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return "", "", "", false
	}
	tokenID, secret = token[:i], token[i+1:]
	grantID = grant.GrantOf(tokenID)
	return grantID, tokenID, secret, grantID != "" && strings.Contains(tokenID, ".r") && secret != ""
}

// exchange decides a code's exchange for tokens (whose refresh digest, if
// any, is given): it returns the events of the outcome and, on a refusal,
// the error.
func (s *storage) exchange(st grant.State, presented string, tokens grant.Tokens) (success, failure []domain.Event, err error) {
	matches := st.Code != nil && s.p.digests.Matches(st.Code.Code, st.ID, presented)
	events, err := grant.Exchange(st, matches, tokens, s.now())
	if err != nil {
		return nil, events, err
	}
	return events, nil, nil
}

// issue names and dates the next token set of st; refresh is the new
// refresh token's digest (nil: no refresh token).
func (s *storage) issue(st grant.State, refresh *code.Digest) (grant.Tokens, string) {
	now := s.now()
	access, refreshID := grant.TokenIDs(st.ID, st.Issued)
	t := grant.Tokens{AccessTokenID: access, AccessExpiresAt: now.Add(s.p.cfg.TTL.AccessToken)}
	if refresh != nil {
		exp := now.Add(s.p.cfg.TTL.RefreshToken)
		t.RefreshTokenID, t.Refresh, t.RefreshExpiresAt = refreshID, refresh, &exp
	}
	return t, refreshID
}

// spend runs one token creation: decide gets the grant and the token set
// to issue and returns the events of its outcome.
func (s *storage) spend(ctx context.Context, grantID string, refresh *code.Digest,
	decide func(st grant.State, t grant.Tokens) (success, failure []domain.Event, err error)) (grant.Tokens, string, error) {
	p := s.p
	var tokens grant.Tokens
	var refreshID string
	err := p.store.Run(ctx, p.meta(ctx), func(tx *eventstore.Tx) error {
		st, err := loadGrant(ctx, tx, grantID)
		if err != nil {
			return err
		}
		tokens, refreshID = s.issue(st, refresh)
		success, failure, err := decide(st, tokens)
		if err != nil {
			tx.Failure(grantSubject(grantID), failure...)
			return err
		}
		tx.Append(grantSubject(grantID), success...)
		return nil
	})
	if err != nil {
		return grant.Tokens{}, "", oauthError(err)
	}
	return tokens, refreshID, nil
}

// jwtNext marks the request whose tokens were just recorded: if its grant
// names resources, the op library makes its access token, a JWT, next.
func jwtNext(req op.TokenRequest) {
	if r, ok := req.(*request); ok && len(r.st.Request.Resources) > 0 {
		r.accessToken = true
	}
}

// CreateAccessToken exchanges a code for an access token (no
// offline_access).
func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	r, ok := req.(*request)
	if !ok || r.code == "" {
		return "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	tokens, _, err := s.spend(ctx, r.st.ID, nil, func(st grant.State, t grant.Tokens) ([]domain.Event, []domain.Event, error) {
		return s.exchange(st, r.code, t)
	})
	jwtNext(req)
	return tokens.AccessTokenID, tokens.AccessExpiresAt, err
}

// CreateAccessAndRefreshTokens exchanges a code, or rotates the refresh
// token presented, for an access and a refresh token.
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	r, ok := req.(*request)
	if !ok {
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	secret := rand.Text()
	digest := s.p.digests.Hash(r.st.ID, secret)
	var decide func(grant.State, grant.Tokens) ([]domain.Event, []domain.Event, error)
	switch {
	case current == "" && r.code != "":
		decide = func(st grant.State, t grant.Tokens) ([]domain.Event, []domain.Event, error) {
			return s.exchange(st, r.code, t)
		}
	case current != "" && r.refreshID != "":
		_, _, presented, _ := splitRefresh(current)
		decide = func(st grant.State, t grant.Tokens) ([]domain.Event, []domain.Event, error) {
			events, err := grant.Rotate(st, r.refreshID, s.refreshMatches(st, r.refreshID, presented), t, s.now())
			if err != nil {
				return nil, events, err
			}
			return events, nil, nil
		}
	default:
		return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	tokens, refreshID, err := s.spend(ctx, r.st.ID, &digest, decide)
	if err != nil {
		return "", "", time.Time{}, err
	}
	jwtNext(req)
	return tokens.AccessTokenID, refreshID + "." + secret, tokens.AccessExpiresAt, nil
}

func (s *storage) refreshMatches(st grant.State, tokenID, secret string) bool {
	d, ok := st.Digests[tokenID]
	return ok && s.p.digests.Matches(d, st.ID, secret)
}

// TokenRequestByRefreshToken checks a presented refresh token; a spent
// one is a reuse, which revokes the grant here, so the refusal's events
// commit with it.
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	p := s.p
	grantID, tokenID, secret, ok := splitRefresh(token)
	if !ok {
		return nil, domain.E("oidc.invalid_grant")
	}
	// A read, then a transaction only when there is a reuse to record: the
	// rotation itself is decided again, and recorded, with its tokens.
	st, err := p.readGrant(ctx, grantID)
	if err != nil {
		return nil, err
	}
	if err := grant.RefreshCheck(st, tokenID, s.refreshMatches(st, tokenID, secret), s.now()); err != nil {
		err = p.store.Run(ctx, p.meta(ctx), func(tx *eventstore.Tx) error {
			st, err := loadGrant(ctx, tx, grantID)
			if err != nil {
				return err
			}
			events, err := grant.Rotate(st, tokenID, s.refreshMatches(st, tokenID, secret), grant.Tokens{}, s.now())
			if err != nil {
				tx.Failure(grantSubject(grantID), events...)
			}
			return err
		})
		if err == nil { // a refused refresh token cannot come back to life
			err = domain.E("oidc.invalid_grant")
		}
		return nil, oauthError(err)
	}
	r := newRequest(st)
	r.refreshID = tokenID
	return r, nil
}

// GetRefreshTokenInfo names the user and the id of a refresh token of
// ours, for the revocation endpoint.
func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	grantID, tokenID, secret, ok := splitRefresh(token)
	if !ok {
		return "", "", op.ErrInvalidRefreshToken
	}
	st, err := s.p.readGrant(ctx, grantID)
	if err != nil {
		return "", "", err
	}
	if st.Request == nil || st.Authenticated == nil || st.Request.ClientID != clientID || !s.refreshMatches(st, tokenID, secret) {
		return "", "", op.ErrInvalidRefreshToken
	}
	return st.Authenticated.UserID, tokenID, nil
}

// RevokeToken revokes an access or refresh token of the client's (RFC
// 7009 §2.2: a token that is unknown, spent or another client's answers 200
// and nothing is recorded).
func (s *storage) RevokeToken(ctx context.Context, tokenID, _, clientID string) *oidc.Error {
	p := s.p
	grantID := grant.GrantOf(tokenID)
	if grantID == "" {
		return nil
	}
	err := p.store.Run(ctx, p.meta(ctx), func(tx *eventstore.Tx) error {
		st, err := loadGrant(ctx, tx, grantID)
		if err != nil {
			return err
		}
		if st.Request == nil || st.Request.ClientID != clientID {
			return nil
		}
		tx.Append(grantSubject(grantID), grant.Revoke(st, tokenID)...)
		return nil
	})
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// activeGrant is the grant of a live access token of subject.
func (s *storage) activeGrant(ctx context.Context, tokenID, subject string) (grant.State, error) {
	st, err := s.p.readGrant(ctx, grant.GrantOf(tokenID))
	if err != nil {
		return st, err
	}
	if !st.AccessActive(tokenID, s.now()) || st.Authenticated == nil || st.Authenticated.UserID != subject {
		return st, errors.New("oidcprovider: the access token is not active")
	}
	return st, nil
}

// SetUserinfoFromScopes is deprecated in the op library, which calls
// SetUserinfoFromRequest after it.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest sets the ID token's claims: the user's, by
// scope, and the session's id.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if r, ok := req.(*request); ok && r.st.Authenticated != nil && r.st.Authenticated.SessionID != "" {
		info.AppendClaims("sid", r.st.Authenticated.SessionID)
	}
	return s.userClaims(ctx, info, req.GetSubject(), scopes)
}

// SetUserinfoFromToken answers /oidc/me for a live access token.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	st, err := s.activeGrant(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	return s.userClaims(ctx, info, subject, st.Request.Scopes)
}

// SetIntrospectionFromToken answers the introspection of a live access
// token (an inactive one answers {"active": false}).
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	st, err := s.activeGrant(ctx, tokenID, subject)
	if err != nil {
		return err
	}
	info := new(oidc.UserInfo)
	if err := s.userClaims(ctx, info, subject, st.Request.Scopes); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.Scope = st.Request.Scopes
	resp.ClientID = st.Request.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(st.Access[tokenID])
	resp.Subject = subject
	resp.Audience = []string{st.Request.ClientID}
	resp.AuthTime = oidc.FromTime(st.Authenticated.AuthTime)
	resp.AuthenticationMethodsReferences = st.Authenticated.AMR
	resp.Issuer = s.p.issuer
	resp.JWTID = tokenID
	return nil
}

// GetPrivateClaimsFromScopes: the op library asks GetPrivateClaimsFromRequest instead.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest gives a JWT access token its scope (RFC 9068
// §2.2.3). The op library asks for it once the token's audience is read,
// so the request answers the client as its audience again from here (the
// ID token's, made next).
func (s *storage) GetPrivateClaimsFromRequest(_ context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	if r, ok := req.(*request); ok {
		r.accessToken = false
	}
	return map[string]any{"scope": strings.Join(req.GetScopes(), " ")}, nil
}

// userClaims sets the user's claims the scopes grant (docs/oidc.md,
// Tokens): profile the username and name, email and phone with their
// verification (an identifier of a user is verified: it was proved with a
// code, or set by an administrator).
func (s *storage) userClaims(ctx context.Context, info *oidc.UserInfo, userID string, scopes []string) error {
	info.Subject = userID
	if !slices.ContainsFunc(scopes, func(sc string) bool { return sc == oidc.ScopeProfile || sc == oidc.ScopeEmail || sc == oidc.ScopePhone }) {
		return nil
	}
	envs, _, err := s.p.store.Load(ctx, accounts.Subject(userID))
	if err != nil {
		return err
	}
	events, err := eventstore.Decode(envs, user.Events)
	if err != nil {
		return err
	}
	u := user.Fold(events)
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
		info.PreferredUsername = u.Username
		info.Picture = u.Avatar
		if u.Username != "" {
			info.AppendClaims("username", u.Username)
		}
	}
	if slices.Contains(scopes, oidc.ScopeEmail) && u.PrimaryEmail != "" {
		info.Email, info.EmailVerified = u.PrimaryEmail, true
	}
	if slices.Contains(scopes, oidc.ScopePhone) && u.PrimaryPhone != "" {
		info.PhoneNumber, info.PhoneNumberVerified = u.PrimaryPhone, true
	}
	return nil
}
