package onelogin

import (
	"net/http"
	"regexp"
	"slices"

	"github.com/authtrail/authtrail/domain"
)

// Bearer header forms (docs/onelogin-api.md, Scopes): "Bearer <t>" (the SDKs), "bearer:<t>"
// and "bearer: <t>" (the docs), in any case.
var bearerHeader = regexp.MustCompile(`(?i)^\s*bearer(?:\s*:\s*|\s+)(\S+)\s*$`)

// Bearer returns the client whose valid token the request's Authorization
// header carries; ok is false for a missing, malformed, unknown, expired or
// revoked token. It does not rate-limit: the admin API authenticates with
// it and answers in its own shapes.
func (a *Auth) Bearer(r *http.Request) (c Client, ok bool, err error) {
	m := bearerHeader.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return Client{}, false, nil
	}
	cred, err := a.lookupToken(r.Context(), m[1])
	if err != nil || cred == nil {
		return Client{}, false, err
	}
	return cred.Client, true, nil
}

// Require authenticates the request's bearer token and lets it through
// when the token's credential has one of scopes (any scope when none is
// given). Missing, malformed, unknown, expired or revoked tokens answer 401
// InvalidCredentials; a scope not listed answers 401 "Insufficient
// Permission". Every authenticated response carries the credential's
// X-RateLimit headers; an empty bucket answers 429 with Retry-After. The
// client is in the request context for ClientFrom.
func (a *Auth) Require(scopes ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m := bearerHeader.FindStringSubmatch(r.Header.Get("Authorization"))
			if m == nil {
				WriteError(w, domain.E("onelogin.invalid_credentials"))
				return
			}
			cred, err := a.lookupToken(r.Context(), m[1])
			if err != nil {
				a.log.ErrorContext(r.Context(), "onelogin: token lookup failed", "path", r.URL.Path, "err", err)
				WriteError(w, err)
				return
			}
			if cred == nil {
				WriteError(w, domain.E("onelogin.invalid_credentials"))
				return
			}
			lim := a.takeCall(r.Context(), cred.ID)
			lim.setHeaders(w.Header())
			if !lim.allowed {
				WriteError(w, domain.E("onelogin.too_many_requests"))
				return
			}
			if len(scopes) > 0 && !slices.Contains(scopes, cred.Scope) {
				WriteError(w, domain.E("onelogin.insufficient_permission"))
				return
			}
			next.ServeHTTP(w, r.WithContext(withClient(r.Context(), cred.Client)))
		})
	}
}
