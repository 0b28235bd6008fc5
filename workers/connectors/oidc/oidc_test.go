package oidc_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/authtrail/authtrail/workers/connectors"
	"github.com/authtrail/authtrail/workers/connectors/oidc"
)

// idp is an OpenID provider on loopback whose token endpoint answers what
// the test says: an ID token with the claims and signature of each case.
type idp struct {
	*httptest.Server
	key, otherKey *rsa.PrivateKey
	mu            sync.Mutex
	token         func(form url.Values) (status int, body any)
	userinfo      func(r *http.Request) (status int, body any)
	lastForm      url.Values
}

func startIDP(t *testing.T) *idp {
	t.Helper()
	p := &idp{key: rsaKey(t), otherKey: rsaKey(t)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"issuer": p.URL, "authorization_endpoint": p.URL + "/authorize",
			"token_endpoint": p.URL + "/token", "jwks_uri": p.URL + "/jwks", "userinfo_endpoint": p.URL + "/userinfo",
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		p.mu.Lock()
		p.lastForm = r.PostForm
		fn := p.token
		p.mu.Unlock()
		status, body := fn(r.PostForm)
		writeJSON(w, status, body)
	})
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		status, body := p.userinfo(r)
		writeJSON(w, status, body)
	})
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Close)
	return p
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// sign makes a compact JWS of claims with key (RS256, kid k1).
func sign(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// unsigned is an "alg": "none" token of claims.
func unsigned(claims map[string]any) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT"})
	payload, _ := json.Marshal(claims)
	return enc.EncodeToString(header) + "." + enc.EncodeToString(payload) + "."
}

const (
	clientID = "authtrail"
	nonce    = "the-nonce"
	verifier = "a-verifier-of-enough-length-for-pkce-0123456789"
)

func claims(p *idp) map[string]any {
	now := time.Now()
	return map[string]any{"iss": p.URL, "aud": clientID, "sub": "user-1", "nonce": nonce,
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "email": "ann@example.com", "email_verified": true}
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for key, val := range m {
		out[key] = val
	}
	out[k] = v
	return out
}

func tokens(idToken string) func(url.Values) (int, any) {
	return func(url.Values) (int, any) {
		return http.StatusOK, map[string]any{"access_token": "at", "token_type": "bearer", "id_token": idToken}
	}
}

func connectorOf(p *idp) *oidc.Connector {
	return oidc.New(oidc.Config{Issuer: p.URL, ClientID: clientID, ClientSecret: "s", TokenAuth: oidc.TokenAuthPost})
}

func codeOf(err error) string {
	var cerr *connectors.Error
	if errors.As(err, &cerr) {
		return cerr.Code
	}
	return ""
}

// The authorization URL carries PKCE S256 of the verifier, the nonce and
// the state, and the exchange sends the verifier.
func TestAuthorizationUsesPKCEAndNonce(t *testing.T) {
	p := startIDP(t)
	c := connectorOf(p)
	raw, err := c.AuthorizationURL(context.Background(), connectors.Authorization{RedirectURI: "http://app/cb", State: "st", Nonce: nonce, Verifier: verifier})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	sum := sha256.Sum256([]byte(verifier))
	q := u.Query()
	if q.Get("code_challenge") != base64.RawURLEncoding.EncodeToString(sum[:]) || q.Get("code_challenge_method") != "S256" ||
		q.Get("nonce") != nonce || q.Get("state") != "st" || q.Get("scope") != "openid email profile" {
		t.Fatalf("authorization URL %s", raw)
	}
	p.token = tokens(sign(t, p.key, claims(p)))
	info, err := c.Exchange(context.Background(), connectors.Authorization{RedirectURI: "http://app/cb", Verifier: verifier, Nonce: nonce}, "code")
	if err != nil {
		t.Fatal(err)
	}
	if info.ID != "user-1" || info.Email != "ann@example.com" || !info.EmailVerified || info.Issuer != p.URL {
		t.Fatalf("user info %+v", info)
	}
	if p.lastForm.Get("code_verifier") != verifier || p.lastForm.Get("redirect_uri") != "http://app/cb" {
		t.Fatalf("token request %v: want the verifier and the redirect URI", p.lastForm)
	}
}

// Every ID token that fails a check is refused as
// connector.social_invalid_id_token; the provider refusing the code as
// connector.social_auth_code_invalid, failing as invalid_response.
func TestExchangeRefusals(t *testing.T) {
	p := startIDP(t)
	c := connectorOf(p)
	cases := []struct {
		name  string
		token func(url.Values) (int, any)
		code  string
	}{
		{"another issuer", tokens(sign(t, p.key, with(claims(p), "iss", "https://evil.example"))), oidc.CodeInvalidIDToken},
		{"another audience", tokens(sign(t, p.key, with(claims(p), "aud", "someone-else"))), oidc.CodeInvalidIDToken},
		{"expired", tokens(sign(t, p.key, with(claims(p), "exp", time.Now().Add(-time.Hour).Unix()))), oidc.CodeInvalidIDToken},
		{"bad nonce", tokens(sign(t, p.key, with(claims(p), "nonce", "another"))), oidc.CodeInvalidIDToken},
		{"no nonce", tokens(sign(t, p.key, with(claims(p), "nonce", ""))), oidc.CodeInvalidIDToken},
		{"signed by another key", tokens(sign(t, p.otherKey, claims(p))), oidc.CodeInvalidIDToken},
		{"alg none", tokens(unsigned(claims(p))), oidc.CodeInvalidIDToken},
		{"no id token", func(url.Values) (int, any) {
			return http.StatusOK, map[string]any{"access_token": "at", "token_type": "bearer"}
		}, oidc.CodeInvalidIDToken},
		{"code refused", func(url.Values) (int, any) {
			return http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "code c0de already used"}
		}, oidc.CodeAuthCodeInvalid},
		{"provider fails", func(url.Values) (int, any) {
			return http.StatusInternalServerError, map[string]any{"error": "server_error"}
		}, connectors.CodeInvalidResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p.mu.Lock()
			p.token = tc.token
			p.mu.Unlock()
			_, err := c.Exchange(context.Background(), connectors.Authorization{RedirectURI: "http://app/cb", Verifier: verifier, Nonce: nonce}, "c0de")
			if codeOf(err) != tc.code {
				t.Fatalf("err %v (code %q), want %s", err, codeOf(err), tc.code)
			}
			if err != nil && containsCode(err.Error()) {
				t.Fatalf("the error quotes the provider's description, which may hold the code: %v", err)
			}
		})
	}
}

func containsCode(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		if s[i:i+4] == "c0de" {
			return true
		}
	}
	return false
}

// Plain OAuth 2.0: the user info endpoint read through the mapping; an
// answer without the mapped id is a connector error.
func TestOAuth2UserInfoMapping(t *testing.T) {
	p := startIDP(t)
	p.token = func(url.Values) (int, any) {
		return http.StatusOK, map[string]any{"access_token": "at", "token_type": "bearer"}
	}
	c := oidc.New(oidc.Config{ClientID: clientID, ClientSecret: "s", TokenAuth: oidc.TokenAuthPost,
		AuthorizationEndpoint: p.URL + "/authorize", TokenEndpoint: p.URL + "/token", UserinfoEndpoint: p.URL + "/userinfo",
		Mapping: oidc.Mapping{ID: "user_id", Email: "mail"}})
	t.Run("mapped", func(t *testing.T) {
		p.userinfo = func(r *http.Request) (int, any) {
			if r.Header.Get("Authorization") != "Bearer at" {
				return http.StatusUnauthorized, map[string]any{}
			}
			return http.StatusOK, map[string]any{"user_id": 42, "mail": "bo@example.com", "email_verified": true, "name": "Bo"}
		}
		info, err := c.Exchange(context.Background(), connectors.Authorization{RedirectURI: "http://app/cb", Verifier: verifier, Nonce: ""}, "c")
		if err != nil || info.ID != "42" || info.Email != "bo@example.com" || !info.EmailVerified || info.Name != "Bo" {
			t.Fatalf("info %+v, err %v", info, err)
		}
	})
	t.Run("no id", func(t *testing.T) {
		p.userinfo = func(*http.Request) (int, any) { return http.StatusOK, map[string]any{"mail": "bo@example.com"} }
		if _, err := c.Exchange(context.Background(), connectors.Authorization{RedirectURI: "http://app/cb", Verifier: verifier, Nonce: ""}, "c"); codeOf(err) != connectors.CodeInvalidResponse {
			t.Fatalf("err %v, want %s", err, connectors.CodeInvalidResponse)
		}
	})
	t.Run("token refused", func(t *testing.T) {
		p.userinfo = func(*http.Request) (int, any) { return http.StatusUnauthorized, map[string]any{} }
		if _, err := c.Exchange(context.Background(), connectors.Authorization{RedirectURI: "http://app/cb", Verifier: verifier, Nonce: ""}, "c"); codeOf(err) != oidc.CodeInvalidAccessToken {
			t.Fatalf("err %v, want %s", err, oidc.CodeInvalidAccessToken)
		}
	})
}
