// Package oidcprovider is the OpenID Connect provider in front of the
// Experience API (docs/oidc.md): zitadel/oidc's op package speaks the
// protocol, and this package is its storage on the event store (every
// decision an event of a grant or a session), the authorization endpoint
// that starts an interaction bound to the request, and the return from the
// sign-in page that issues the code.
package oidcprovider

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/gorilla/mux"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// Path is where the provider is mounted; the issuer is the public URL
// with it.
const Path = "/oidc"

// TTL are the lifetimes of what the provider issues (config oidc.ttl).
type TTL struct {
	IDToken, AccessToken, RefreshToken, Session time.Duration
}

// DefaultTTL are Logto's defaults.
var DefaultTTL = TTL{IDToken: time.Hour, AccessToken: time.Hour, RefreshToken: 14 * 24 * time.Hour, Session: 14 * 24 * time.Hour}

// Code and request lifetimes (docs/oidc.md, The flow).
const (
	codeTTL    = 60 * time.Second
	requestTTL = time.Hour
)

// Config configures the provider.
type Config struct {
	PublicURL string // http.publicUrl: the issuer is PublicURL + Path
	SignInURL string // where /oidc/auth sends the browser (default: PublicURL + /sign-in)
	Clients   []ClientConfig
	// Resources are the APIs (RFC 8707 resource indicators) an
	// authorization may ask access tokens for; those tokens are JWTs.
	Resources []string
	TTL       TTL
	// KeyRotation is how long a signing key signs (default 30 days).
	KeyRotation time.Duration
	// SecureCookie marks the _session cookie Secure.
	SecureCookie bool
}

// Deps are the provider's collaborators.
type Deps struct {
	Store      *eventstore.Store
	Experience *experience.Handler
	// EncryptionKey is the server's 32-byte key: the signing keys, the
	// session cookie's key, the codes' and tokens' digest and encryption
	// keys derive from it.
	EncryptionKey []byte
	Clock         domain.Clock
	IDs           domain.IDs
	Log           *slog.Logger
}

// Provider serves /oidc/*.
type Provider struct {
	cfg      Config
	issuer   string
	store    *eventstore.Store
	exp      *experience.Handler
	clock    domain.Clock
	ids      domain.IDs
	log      *slog.Logger
	clients  map[string]*client
	digests  *code.Hasher
	keys     *signingKeys
	cookies  []byte // the _session cookie's MAC key
	op       *op.Provider
	storage  *storage
	endpoint map[string]*op.Endpoint
}

// New builds the provider.
func New(cfg Config, d Deps) (*Provider, error) {
	if len(d.EncryptionKey) != 32 {
		return nil, errors.New("oidcprovider: the encryption key must be 32 bytes")
	}
	if cfg.TTL == (TTL{}) {
		cfg.TTL = DefaultTTL
	}
	if cfg.KeyRotation == 0 {
		cfg.KeyRotation = 30 * 24 * time.Hour
	}
	if cfg.KeyRotation < cfg.TTL.IDToken {
		return nil, fmt.Errorf("oidcprovider: signing keys must rotate less often than ID tokens live (%s < %s)", cfg.KeyRotation, cfg.TTL.IDToken)
	}
	publicURL := strings.TrimSuffix(cfg.PublicURL, "/")
	if cfg.SignInURL == "" {
		cfg.SignInURL = publicURL + "/sign-in"
	}
	if d.Clock == nil {
		d.Clock = domain.SystemClock{}
	}
	if d.IDs == nil {
		d.IDs = domain.RandomIDs{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	p := &Provider{
		cfg: cfg, issuer: publicURL + Path, store: d.Store, exp: d.Experience, clock: d.Clock, ids: d.IDs, log: d.Log,
		clients: map[string]*client{},
		digests: code.NewHasher("oidc1", code.DeriveKey(d.EncryptionKey, "authtrail oidc digest v1")),
		keys:    newSigningKeys(d.EncryptionKey, cfg.KeyRotation, d.Clock.Now),
		cookies: code.DeriveKey(d.EncryptionKey, "authtrail oidc session cookie v1"),
	}
	for _, c := range cfg.Clients {
		p.clients[c.ID] = newClient(c, cfg.TTL.IDToken, cfg.SignInURL)
	}
	p.storage = &storage{p: p}
	var cryptoKey [32]byte
	copy(cryptoKey[:], code.DeriveKey(d.EncryptionKey, "authtrail oidc token encryption v1"))
	config := &op.Config{
		CryptoKey:                cryptoKey,
		CryptoKeyId:              "oidc1",
		DefaultLogoutRedirectURI: cfg.SignInURL,
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       []language.Tag{language.English},
		SupportedScopes:          []string{"openid", "profile", "email", "phone", "offline_access"},
		SupportedClaims:          append(op.DefaultSupportedClaims, "sid", "username"),
	}
	endpoints := map[string]*op.Endpoint{
		"auth": op.NewEndpoint("auth"), "token": op.NewEndpoint("token"), "introspection": op.NewEndpoint("token/introspection"),
		"userinfo": op.NewEndpoint("me"), "revocation": op.NewEndpoint("token/revocation"), "end": op.NewEndpoint("session/end"),
		"keys": op.NewEndpoint("jwks"),
	}
	p.endpoint = endpoints
	provider, err := op.NewOpenIDProvider(p.issuer, config, p.storage,
		op.WithAllowInsecure(),
		op.WithCustomEndpoints(endpoints["auth"], endpoints["token"], endpoints["userinfo"], endpoints["revocation"], endpoints["end"], endpoints["keys"]),
		op.WithCustomIntrospectionEndpoint(endpoints["introspection"]),
	)
	if err != nil {
		return nil, err
	}
	p.op = provider
	return p, nil
}

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.issuer }

// AuthorizationURL is the authorization endpoint; the submit of an
// interaction it started answers <AuthorizationURL>/<uid>.
func (p *Provider) AuthorizationURL() string { return p.issuer + "/auth" }

// Register mounts the provider: the authorization endpoint, the return
// from the sign-in page and the logout here, the rest of the protocol by
// the op library under /oidc.
func (p *Provider) Register(r *mux.Router) {
	sub := r.PathPrefix(Path).Subrouter()
	sub.Use(p.withMeta)
	sub.HandleFunc("/auth", p.authorize).Methods(http.MethodGet, http.MethodPost)
	sub.HandleFunc("/auth/{uid}", p.callback).Methods(http.MethodGet)
	sub.HandleFunc("/session/end", p.endSession).Methods(http.MethodGet, http.MethodPost)
	sub.Handle("/token", p.recordRefusals(http.StripPrefix(Path, p.op))).Methods(http.MethodPost)
	protocol := http.StripPrefix(Path, p.op)
	sub.Handle("/.well-known/openid-configuration", protocol).Methods(http.MethodGet)
	sub.Handle("/jwks", protocol).Methods(http.MethodGet)
	sub.Handle("/me", noStore(protocol)).Methods(http.MethodGet, http.MethodPost)
	sub.Handle("/token/introspection", noStore(protocol)).Methods(http.MethodPost)
	sub.Handle("/token/revocation", protocol).Methods(http.MethodPost)
}

type metaKey struct{}

// withMeta puts the request's event metadata in its context: the op
// library calls the storage with the request's context only.
func (p *Provider) withMeta(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		meta := eventstore.Metadata{Actor: "oidc", CorrelationID: r.Header.Get("X-Request-Id")}
		ctx := op.ContextWithIssuer(context.WithValue(r.Context(), metaKey{}, meta), p.issuer)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (p *Provider) meta(ctx context.Context) eventstore.Metadata {
	meta, _ := ctx.Value(metaKey{}).(eventstore.Metadata)
	meta.Time = p.clock.Now()
	if meta.Actor == "" {
		meta.Actor = "oidc"
	}
	return meta
}

// noStore marks answers that carry tokens or personal data.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
