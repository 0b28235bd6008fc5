package oidcprovider

import (
	"context"
	"slices"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/grant"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

func grantSubject(id string) string { return eventstore.MustSubject(grant.AggregateType, id) }

// loadGrant folds a grant through tx (so a commit checks it is unchanged).
func loadGrant(ctx context.Context, tx *eventstore.Tx, id string) (grant.State, error) {
	envs, err := tx.Load(ctx, grantSubject(id))
	if err != nil {
		return grant.State{}, err
	}
	events, err := eventstore.Decode(envs, grant.Events)
	return grant.Fold(id, events), err
}

// readGrant folds a grant for a read that writes nothing.
func (p *Provider) readGrant(ctx context.Context, id string) (grant.State, error) {
	if !domain.IsID(id) {
		return grant.State{ID: id}, nil
	}
	envs, _, err := p.store.Load(ctx, grantSubject(id))
	if err != nil {
		return grant.State{}, err
	}
	events, err := eventstore.Decode(envs, grant.Events)
	return grant.Fold(id, events), err
}

// request is a grant as the op library sees it: an op.AuthRequest, an
// op.RefreshTokenRequest and an op.IDTokenRequest. It also carries what the
// token request presented (the code, or the refresh token's id), so the
// token creation that follows spends exactly that.
type request struct {
	st        grant.State
	scopes    []string
	code      string // the code presented at the token endpoint
	refreshID string // the refresh token presented
	// accessToken: the op library is making this request's JWT access
	// token, whose audience is the grant's resources; see GetAudience.
	accessToken bool
}

var (
	_ op.AuthRequest         = (*request)(nil)
	_ op.RefreshTokenRequest = (*request)(nil)
)

func newRequest(st grant.State) *request {
	return &request{st: st, scopes: slices.Clone(st.Request.Scopes)}
}

func (r *request) GetID() string  { return r.st.ID }
func (r *request) GetACR() string { return "" }
func (r *request) GetAMR() []string {
	if r.st.Authenticated == nil {
		return nil
	}
	return r.st.Authenticated.AMR
}

// GetAudience is the client, for the ID token; while the op library makes
// a JWT access token (between the token creation the storage records and
// the private claims it asks for next, GetPrivateClaimsFromRequest) the
// grant's resources (RFC 9068 §3).
func (r *request) GetAudience() []string {
	if r.accessToken && len(r.st.Request.Resources) > 0 {
		return r.st.Request.Resources
	}
	return []string{r.st.Request.ClientID}
}
func (r *request) GetAuthTime() time.Time {
	if r.st.Authenticated == nil {
		return time.Time{}
	}
	return r.st.Authenticated.AuthTime
}
func (r *request) GetClientID() string { return r.st.Request.ClientID }
func (r *request) GetCodeChallenge() *oidc.CodeChallenge {
	if r.st.Request.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: r.st.Request.CodeChallenge, Method: oidc.CodeChallengeMethod(r.st.Request.CodeChallengeMethod)}
}
func (r *request) GetNonce() string       { return r.st.Request.Nonce }
func (r *request) GetRedirectURI() string { return r.st.Request.RedirectURI }
func (r *request) GetResponseType() oidc.ResponseType {
	return oidc.ResponseType(r.st.Request.ResponseType)
}
func (r *request) GetResponseMode() oidc.ResponseMode {
	return oidc.ResponseMode(r.st.Request.ResponseMode)
}
func (r *request) GetScopes() []string { return r.scopes }
func (r *request) GetState() string    { return r.st.Request.State }
func (r *request) GetSubject() string {
	if r.st.Authenticated == nil {
		return ""
	}
	return r.st.Authenticated.UserID
}

// Done is always false: the op library's own callback would issue a code
// for a done request without knowing the browser; the code is issued by
// /oidc/auth/{uid} (callback.go) instead.
func (r *request) Done() bool { return false }

// SetCurrentScopes narrows a refresh's scopes (RFC 6749 §6).
func (r *request) SetCurrentScopes(scopes []string) { r.scopes = scopes }

// errorRequest is what an error redirect needs of a request that was not
// recorded (a refused authorization request).
type errorRequest struct{ *oidc.AuthRequest }

func (e errorRequest) GetRedirectURI() string             { return e.RedirectURI }
func (e errorRequest) GetResponseType() oidc.ResponseType { return e.ResponseType }
func (e errorRequest) GetState() string                   { return e.State }
func (e errorRequest) GetResponseMode() oidc.ResponseMode { return e.ResponseMode }
