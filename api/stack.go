package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/admin"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/experience/backupcode"
	"github.com/authtrail/authtrail/api/experience/enterprisesso"
	"github.com/authtrail/authtrail/api/experience/federated"
	"github.com/authtrail/authtrail/api/experience/newidentity"
	"github.com/authtrail/authtrail/api/experience/password"
	"github.com/authtrail/authtrail/api/experience/social"
	"github.com/authtrail/authtrail/api/experience/totp"
	"github.com/authtrail/authtrail/api/experience/verificationcode"
	"github.com/authtrail/authtrail/api/experience/webauthn"
	"github.com/authtrail/authtrail/api/oidcprovider"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/api/signin"
	"github.com/authtrail/authtrail/domain"
	backupcodes "github.com/authtrail/authtrail/domain/backupcode"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/passkey"
	passwords "github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/domain/secretbox"
	"github.com/authtrail/authtrail/domain/throttle"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/codekeys"
	"github.com/authtrail/authtrail/eventstore/limiter"
	"github.com/authtrail/authtrail/metrics"
	"github.com/gorilla/mux"
)

// Options assemble the HTTP surface over an open event store. Clock, IDs
// and Log have defaults; Hasher defaults to the OWASP parameters.
type Options struct {
	Experience experience.Config
	// EmailConnector and SMSConnector say which message connectors exist;
	// a code send without one answers 501 connector.not_found.
	EmailConnector, SMSConnector bool
	// WebAuthn is the relying party: rpId, name and allowed origins.
	WebAuthn passkey.Config
	Hasher   *passwords.Hasher
	Breached passwords.Breached
	Clock    domain.Clock
	IDs      domain.IDs
	Log      *slog.Logger
	// EncryptionKey is the server's 32-byte key; code hashes use a key
	// derived from it.
	EncryptionKey []byte
	// Random feeds codes and keys (crypto/rand when nil).
	Random io.Reader
	// APIClients are the OneLogin-style API credentials (config mfaApi.clients).
	APIClients     []onelogin.Client
	APIRatePerHour int
	// FailedTokensPerIP limits the failed token requests of one client
	// address (config limits.tokenRequestsPerIp; zero: none). The
	// Experience API's per-client limits are in Experience.Limits.
	FailedTokensPerIP throttle.Rate
	// MFAFactors are the factors the MFA API offers (config mfaApi.factors).
	MFAFactors []mfaapi.Factor
	// Methods are authentication methods to register after the built-in
	// ones (an extension, or a test's own method).
	Methods []experience.Method
	// WebhookIDs are the ids of the configured webhooks, whose deliveries
	// the admin API lists.
	WebhookIDs []string
	// PublicURL is the server's external base URL (http.publicUrl): the
	// source of the CloudEvents the admin event stream sends.
	PublicURL string
	// ReadModelDB is the read models' SQLite file (projections.FileName
	// under the data directory); required.
	ReadModelDB string
	// OIDC configures the OpenID Connect provider (config oidc): its
	// clients, lifetimes and sign-in page; PublicURL gives its issuer.
	OIDC oidcprovider.Config
	// Metrics records the HTTP requests and the projections' lag; nil
	// records nothing. ServeMetrics also serves GET /metrics on the API's
	// router (metrics.addr empty; else the binary serves it elsewhere).
	Metrics      *metrics.Metrics
	ServeMetrics bool
	// SocialConnectors are the social connectors (config
	// connectors.social), SSOConnectors the enterprise SSO connectors
	// (connectors.sso); their ids are one space.
	SocialConnectors []federated.Connector
	SSOConnectors    []enterprisesso.Connector
	// ConnectorTimeout bounds each provider call and verify's wait for its
	// outcome (config connectors.timeout; default federated.DefaultTimeout).
	ConnectorTimeout time.Duration
}

// New builds the server over store; the same wiring serves the binary, the
// tests and the benchmarks.
func New(ctx context.Context, store *eventstore.Store, o Options) (*Server, error) {
	users, err := accounts.Open(ctx, store, o.Experience.Settings.UsernamePolicy)
	if err != nil {
		return nil, err
	}
	if o.Hasher == nil {
		o.Hasher = passwords.NewHasher(0, nil)
	}
	if o.PublicURL == "" {
		o.PublicURL = "http://localhost:3001"
	}
	// Browsers may call the Experience API from the server's own pages and
	// the configured others.
	public, err := url.Parse(o.PublicURL)
	if err != nil || public.Host == "" {
		return nil, fmt.Errorf("api: public URL %q is not an absolute URL", o.PublicURL)
	}
	o.Experience.AllowedOrigins = append([]string{public.Scheme + "://" + public.Host}, o.Experience.AllowedOrigins...)
	o.OIDC.PublicURL = o.PublicURL
	o.Experience.AuthorizationURL = strings.TrimSuffix(o.PublicURL, "/") + oidcprovider.Path + "/auth"
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if len(o.EncryptionKey) != 32 {
		return nil, errors.New("api: the encryption key must be 32 bytes")
	}
	keys, err := codekeys.Open(ctx, store.JetStream(), store.Replicas())
	if err != nil {
		return nil, err
	}
	limits, err := limiter.Open(ctx, store.JetStream(), limiter.Options{
		Replicas: store.Replicas(), Clock: o.Clock,
		MaxWindow: max(o.Experience.Limits.FailedAttempts.Window, o.Experience.Limits.NewRecipients.Window, o.FailedTokensPerIP.Window),
	})
	if err != nil {
		return nil, err
	}
	if o.WebAuthn.RPID == "" {
		o.WebAuthn = passkey.Config{RPID: "localhost", RPName: "authtrail", Origins: []string{"http://localhost:3001"}}
	}
	rp, err := passkey.New(o.WebAuthn)
	if err != nil {
		return nil, err
	}
	secrets := secretbox.NewKeyring(keyID(o.EncryptionKey, "secrets"), code.DeriveKey(o.EncryptionKey, "authtrail secretbox v1"))
	federatedDeps := federated.Deps{Secrets: secrets, Store: store, Timeout: o.ConnectorTimeout}
	methods := builtinMethods(methodDeps{
		codes: CodeHasher(o.EncryptionKey), keys: keys, emailConnector: o.EmailConnector, smsConnector: o.SMSConnector,
		secrets: secrets, rp: rp, rpID: o.WebAuthn.RPID, issuer: public.Hostname(),
		backupCodes: backupcodes.NewHasher(keyID(o.EncryptionKey, "backup"), code.DeriveKey(o.EncryptionKey, "authtrail backup code hmac v1")),
		social:      social.Deps{Connectors: o.SocialConnectors, SSOConnectorIDs: ssoIDs(o.SSOConnectors), Deps: federatedDeps},
		sso:         enterprisesso.Deps{Connectors: o.SSOConnectors, Deps: federatedDeps},
	})
	for _, c := range o.SSOConnectors {
		o.Experience.SSOConnectors = append(o.Experience.SSOConnectors, interaction.SSOConnector{ID: c.ID, Name: c.Name, Domains: c.Domains})
	}
	exp := experience.New(o.Experience, experience.Deps{
		Store: store, Users: users, Hasher: o.Hasher, Breached: o.Breached, Clock: o.Clock, IDs: o.IDs, Log: o.Log,
		Random: o.Random, Limiter: limits,
	}, append(methods, o.Methods...)...)
	provider, err := oidcprovider.New(o.OIDC, oidcprovider.Deps{
		Store: store, Experience: exp, EncryptionKey: o.EncryptionKey, Clock: o.Clock, IDs: o.IDs, Log: o.Log,
	})
	if err != nil {
		return nil, err
	}
	readModels, err := StartReadModels(ctx, store, o.ReadModelDB, exp.Events(), o.Clock, o.Log)
	if err != nil {
		return nil, err
	}
	auth := onelogin.NewAuth(store, o.APIClients, code.DeriveKey(o.EncryptionKey, "authtrail oauth token v1"),
		onelogin.AuthOptions{Clock: o.Clock, RatePerHour: o.APIRatePerHour, Log: o.Log,
			Limiter: limits, FailedTokensPerIP: o.FailedTokensPerIP, TrustedProxies: o.Experience.TrustedProxies})
	sie := o.Experience.Settings
	usersAPI := onelogin.NewUsersAPI(onelogin.UsersDeps{Store: store, Users: users, Hasher: o.Hasher, Settings: &sie, Clock: o.Clock, Log: o.Log})
	mfaAPI := onelogin.NewMFAAPI(onelogin.MFADeps{Store: store, Auth: auth, Factors: o.MFAFactors, Clock: o.Clock, Random: o.Random, Log: o.Log,
		Secrets: secrets, Devices: readModels.Devices, CaughtUp: readModels.CaughtUp,
		Tokens: code.NewHasher(keyID(o.EncryptionKey, "mfa-token"), code.DeriveKey(o.EncryptionKey, "authtrail mfa token hmac v1")),
		Codes:  CodeHasher(o.EncryptionKey), CodeKeys: keys, Issuer: public.Hostname(),
	})
	adminAPI := admin.New(admin.Deps{Store: store, Auth: auth, Host: readModels.Host, Interactions: readModels.Interactions,
		Catalogue: Catalogue(exp.Events()), Clock: o.Clock, Log: o.Log, PublicURL: o.PublicURL,
		Webhooks: readModels.Webhooks, WebhookIDs: o.WebhookIDs})
	schemas, err := newEventSchemas(Catalogue(exp.Events()))
	if err != nil {
		return nil, err
	}
	srv := NewServer(exp, o.Log, schemas, auth, guarded{usersAPI, auth.Require(onelogin.ScopeManageUsers, onelogin.ScopeManageAll)}, mfaAPI, adminAPI, provider, signin.New(signInOffers(o)))
	srv.ReadModels = readModels
	for _, m := range methods {
		if c, ok := m.(ConnectorMethod); ok && c.Configured() {
			srv.Connectors = append(srv.Connectors, c)
		}
	}
	srv.trustedProxies = o.Experience.TrustedProxies
	srv.observe(o.Metrics, o.ServeMetrics)
	return srv, nil
}

// methodDeps are the collaborators of the built-in methods.
type methodDeps struct {
	codes                        *code.Hasher
	keys                         *codekeys.Store
	emailConnector, smsConnector bool
	secrets                      *secretbox.Keyring
	rp                           *passkey.RP
	rpID                         string
	issuer                       string // the TOTP issuer: http.publicUrl's host
	backupCodes                  *backupcodes.Hasher
	social                       social.Deps
	sso                          enterprisesso.Deps
}

// builtinMethods are the authentication methods, one line each
// (docs/architecture.md).
func builtinMethods(d methodDeps) []experience.Method {
	return []experience.Method{
		password.New(),
		newidentity.New(),
		verificationcode.New(verificationcode.Deps{Codes: d.codes, Keys: d.keys, EmailConnector: d.emailConnector, SMSConnector: d.smsConnector}),
		totp.New(d.secrets, d.issuer),
		webauthn.New(d.rp, d.rpID),
		backupcode.New(d.backupCodes),
		social.New(d.social),
		enterprisesso.New(d.sso),
	}
}

// ConnectorMethod is a method with a connector worker (social sign-in,
// enterprise SSO).
type ConnectorMethod interface {
	experience.Method
	Worker() *federated.Worker
	// Timeout bounds a provider call (the worker's handler timeout must
	// outlast it).
	Timeout() time.Duration
	// Configured: the method has connectors, so its worker runs.
	Configured() bool
}

// signInOffers are the sign-in page's social buttons (by
// socialSignInConnectorTargets) and whether it sends SSO domains to SSO.
func signInOffers(o Options) signin.Options {
	sie := o.Experience.Settings
	out := signin.Options{SSO: sie.SingleSignOnEnabled && len(o.SSOConnectors) > 0}
	for _, target := range sie.SocialSignInConnectorTargets {
		for _, c := range o.SocialConnectors {
			if c.Target == target {
				out.Social = append(out.Social, signin.Social{ID: c.ID, Target: c.Target})
				break
			}
		}
	}
	return out
}

func ssoIDs(cs []enterprisesso.Connector) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// BuiltinCatalogue is the catalogue of a server with the built-in methods
// only, for tools that read a log without running a server (replay, an
// offline rebuild).
func BuiltinCatalogue() map[string]domain.Registry {
	return Catalogue(experience.EventsOf(builtinMethods(methodDeps{})...))
}

// guarded mounts an API behind a middleware (the bearer token and scope check).
type guarded struct {
	api        Mounter
	middleware mux.MiddlewareFunc
}

func (g guarded) Register(r *mux.Router) {
	sub := r.NewRoute().Subrouter()
	sub.Use(g.middleware)
	g.api.Register(sub)
}

// CodeHasher keys verification-code hashes with a key derived from the
// server's encryption key; the key id names the derived key, so a rotated
// key is recognisable in stored digests.
func CodeHasher(encryptionKey []byte) *code.Hasher {
	return code.NewHasher(keyID(encryptionKey, "code"), code.DeriveKey(encryptionKey, "authtrail code hmac v1"))
}

// keyID names a key derived from the encryption key for a purpose, without
// revealing it, so a rotated key is recognisable in stored values.
func keyID(encryptionKey []byte, purpose string) string {
	sum := sha256.Sum256(code.DeriveKey(encryptionKey, "authtrail key id "+purpose))
	return "k" + hex.EncodeToString(sum[:4])
}
