package oidcprovider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/grant"
	"github.com/authtrail/authtrail/eventstore"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage is op.Storage on the event store. Every decision it takes is
// an event of the grant (or of the session) it concerns, appended in one
// store transaction with optimistic concurrency: two concurrent exchanges
// of one code, or rotations of one refresh token, conflict, and the one
// decided again finds the code or token spent (a reuse, which revokes the
// grant). The tokens' digests and ids are drawn before the transaction, so
// a retried decision neither draws nor hashes again.
type storage struct{ p *Provider }

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*storage)(nil)
)

var errUnknownClient = errors.New("oidcprovider: unknown client")

// CreateAuthRequest records an accepted authorization request (the
// authorization endpoint has validated it) under a new grant id.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	id := s.p.ids.NewID()
	return s.record(ctx, id, req)
}

// record records an accepted request under the grant id.
func (s *storage) record(ctx context.Context, id string, req *oidc.AuthRequest) (*request, error) {
	p := s.p
	if _, ok := p.clients[req.ClientID]; !ok {
		return nil, errUnknownClient
	}
	ev := p.requested(ctx, req)
	err := p.store.Run(ctx, p.meta(ctx), func(tx *eventstore.Tx) error {
		tx.Append(grantSubject(id), ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return newRequest(grant.Fold(id, []domain.Event{ev})), nil
}

// AuthRequestByID is a recorded request.
func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	st, err := s.p.readGrant(ctx, id)
	if err != nil {
		return nil, err
	}
	if st.Request == nil {
		return nil, fmt.Errorf("oidcprovider: no authorization request %q", id)
	}
	return newRequest(st), nil
}

// AuthRequestByCode finds the grant a presented code names (the code
// encrypts its grant's id) and checks it; a spent code is a reuse, which
// revokes the grant here, so the refusal's events commit with it.
func (s *storage) AuthRequestByCode(ctx context.Context, presented string) (op.AuthRequest, error) {
	p := s.p
	id, err := p.op.Crypto().Decrypt(presented)
	if err != nil || !domain.IsID(id) {
		return nil, domain.E("oidc.invalid_grant")
	}
	// A read, then a transaction only when there is a reuse to record: the
	// exchange itself is decided again, and recorded, with its tokens.
	st, err := p.readGrant(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.exchange(st, presented, grant.Tokens{}); err != nil {
		err = p.store.Run(ctx, p.meta(ctx), func(tx *eventstore.Tx) error {
			st, err := loadGrant(ctx, tx, id)
			if err != nil {
				return err
			}
			_, failure, err := s.exchange(st, presented, grant.Tokens{})
			tx.Failure(grantSubject(id), failure...)
			return err
		})
		if err == nil { // a spent code cannot come back to life
			err = domain.E("oidc.invalid_grant")
		}
		return nil, oauthError(err)
	}
	r := newRequest(st)
	r.code = presented
	return r, nil
}

// SaveAuthCode is the op library's way to record a code made by its own
// callback, which this provider does not serve (see request.Done): a code
// is issued with the sign-in that answers its request, in one event, by
// /oidc/auth/{uid} or from the session at /oidc/auth.
func (s *storage) SaveAuthCode(context.Context, string, string) error {
	return errors.New("oidcprovider: codes are issued at /oidc/auth/{uid}")
}

// DeleteAuthRequest has nothing to delete: the code's exchange, recorded
// with the tokens, is what ends the request.
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

// GetClientByClientID is a configured client; within a token request
// for a grant with resources, one whose access tokens are JWTs.
func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, ok := s.p.clients[id]
	if !ok {
		return nil, errUnknownClient
	}
	if tc, _ := ctx.Value(tokenKey{}).(*tokenContext); tc != nil && len(tc.resources) > 0 {
		jwt := *c
		jwt.jwt = true
		return &jwt, nil
	}
	return c, nil
}

// tokenContext is what the token endpoint learnt of the request's grant
// before the op library asks for the client: its resources, which make
// the access token a JWT.
type tokenContext struct{ resources []string }

type tokenKey struct{}

// AuthorizeClientIDSecret checks a confidential client's secret.
func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.p.clients[id]
	if !ok || !c.secretMatches(secret) {
		return errors.New("oidcprovider: wrong client credentials")
	}
	return nil
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.p.keys.current() }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) { return s.p.keys.published() }

// GetKeyByIDAndClientID: no client authenticates with a JWT of its own.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("oidcprovider: private_key_jwt is not supported")
}

// ValidateJWTProfileScopes: the JWT profile grant is not offered.
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("oidcprovider: the JWT profile grant is not supported")
}

// Health: the provider is as healthy as the server (/health checks the log).
func (s *storage) Health(context.Context) error { return nil }

// now is the provider's clock.
func (s *storage) now() time.Time { return s.p.clock.Now() }
