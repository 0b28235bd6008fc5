// Package experience serves Logto's Experience API (/api/experience/*) over
// the event store: every step loads the interaction's events, decides with
// pure domain functions and appends the outcome (Handle). This package
// serves the method-independent routes (start, identification, profile,
// MFA binding and skipping, submit); each authentication method is a
// package of its own beside it, registered as a Method.
package experience

import (
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/command"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/limiter"
)

// Config is the Experience API's part of the server configuration.
type Config struct {
	Settings  settings.SignInExperience
	TTL       time.Duration // interaction lifetime
	ReturnURL string        // submit's redirectTo base (docs/experience.md, decision 5)
	// AuthorizationURL is the provider's authorization endpoint
	// (<issuer>/auth): the submit of an interaction it started answers
	// <AuthorizationURL>/<uid>.
	AuthorizationURL string
	CookieKey        []byte // signs the _interaction cookie
	// SecureCookie marks the cookie Secure (the server is reached over https).
	SecureCookie bool
	// TrustedProxies are the peers whose X-Forwarded-For names the client
	// recorded on interaction.started (config limits.trustedProxies).
	TrustedProxies []netip.Prefix
	// AllowedOrigins are the origins (scheme://host[:port]) whose pages may
	// call the API from a browser: http.publicUrl's and http.allowedOrigins
	// (docs/experience.md, Browsers).
	AllowedOrigins []string
	// Limits are the per-client limits (config limits.*).
	Limits Limits
	// SSOConnectors are the enterprise SSO connectors' domains (config
	// connectors.sso), for GET /sso-connectors and the SSO-only guard.
	SSOConnectors []interaction.SSOConnector
}

// Handler serves the Experience API.
type Handler struct {
	cfg        Config
	store      *eventstore.Store
	users      *accounts.Users
	hasher     *password.Hasher
	breached   password.Breached
	clock      domain.Clock
	ids        domain.IDs
	log        *slog.Logger
	random     io.Reader
	limiter    *limiter.Limiter
	cookieMACs sync.Pool // of hash.Hash keyed with cfg.CookieKey; see sign
	api        *command.API
	methods    []Method
	events     domain.Registry       // the interaction's, with every method's
	binders    map[string]Binder     // by MFA factor type
	adopters   map[string]UseAdopter // by MFA factor type
}

// Deps are the Handler's collaborators; Clock, IDs, Log and Random have
// defaults.
type Deps struct {
	Store    *eventstore.Store
	Users    *accounts.Users
	Hasher   *password.Hasher
	Breached password.Breached // nil: no breached-password list
	Clock    domain.Clock
	IDs      domain.IDs
	Log      *slog.Logger
	// Random feeds codes, secrets and keys (crypto/rand when nil).
	Random io.Reader
	// Limiter holds the per-client limits' buckets (nil: no such limits).
	Limiter *limiter.Limiter
}

// New builds the handler with its authentication methods.
func New(cfg Config, d Deps, methods ...Method) *Handler {
	if d.Clock == nil {
		d.Clock = domain.SystemClock{}
	}
	if d.IDs == nil {
		d.IDs = domain.RandomIDs{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Random == nil {
		d.Random = rand.Reader
	}
	h := &Handler{cfg: cfg, store: d.Store, users: d.Users, hasher: d.Hasher, breached: d.Breached,
		clock: d.Clock, ids: d.IDs, log: d.Log, random: d.Random, limiter: d.Limiter, methods: methods, binders: map[string]Binder{}, adopters: map[string]UseAdopter{}}
	for _, m := range methods {
		if b, ok := m.(Binder); ok {
			for _, f := range b.Factors() {
				h.binders[f] = b
			}
		}
		if a, ok := m.(UseAdopter); ok {
			for _, f := range a.Factors() {
				h.adopters[f] = a
			}
		}
	}
	h.events = EventsOf(methods...)
	h.api = h.commandAPI()
	return h
}

// EventsOf is the registry of the interaction's events with those of the
// methods.
func EventsOf(methods ...Method) domain.Registry {
	regs := []domain.Registry{interaction.CoreEvents}
	for _, m := range methods {
		regs = append(regs, m.Events())
	}
	return domain.Merge(regs...)
}

// Events decodes every interaction event: the interaction's own and those
// of the registered methods.
func (h *Handler) Events() domain.Registry { return h.events }

// Register mounts the routes under /api/experience: the interaction's own,
// then each method's.
func (h *Handler) Register(r *mux.Router) {
	s := r.PathPrefix("/api/experience").Subrouter()
	s.Use(h.browserGuard)
	s.HandleFunc("", command.Handler(h.api, h.parseStart, h.start)).Methods(http.MethodPut)
	Route(s, h, http.MethodPut, "/interaction-event", decodeEvent, h.switchEvent)
	s.HandleFunc("/interaction", h.getInteraction).Methods(http.MethodGet)
	s.HandleFunc("/sso-connectors", h.ssoConnectors).Methods(http.MethodGet)
	Route(s, h, http.MethodPost, "/identification", h.parseIdentification, h.identify)
	Route(s, h, http.MethodPost, "/submit", NoBody, h.submit)
	Route(s, h, http.MethodPost, "/profile", h.parseProfile, h.stageProfile)
	Route(s, h, http.MethodPut, "/profile/password", h.parsePasswordReset, h.resetPassword)
	Route(s, h, http.MethodPost, "/profile/mfa", h.parseBind, h.bindMFA)
	Route(s, h, http.MethodPost, "/profile/mfa/mfa-skipped", NoBody, h.skipMFA(interaction.SkipMFA))
	Route(s, h, http.MethodPost, "/profile/mfa/mfa-suggestion-skipped", NoBody, h.skipMFA(interaction.SkipMFASuggestion))
	for _, m := range h.methods {
		m.Mount(h, s)
		if rm, ok := m.(RootMounter); ok {
			rm.MountRoot(h, r)
		}
	}
}
