package onelogin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/command"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/throttle"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/limiter"
)

// Credential scopes (docs/onelogin-api.md, Scopes), fixed per client in the
// configuration (mfaApi.clients[].scope).
const (
	ScopeAuthenticationOnly = "authentication_only"
	ScopeReadUsers          = "read_users"
	ScopeManageUsers        = "manage_users"
	ScopeReadAll            = "read_all"
	ScopeManageAll          = "manage_all"
)

// ValidScope reports whether s is one of the five credential scopes.
func ValidScope(s string) bool {
	switch s {
	case ScopeAuthenticationOnly, ScopeReadUsers, ScopeManageUsers, ScopeReadAll, ScopeManageAll:
		return true
	}
	return false
}

// Client is an API credential pair with its scope.
type Client struct {
	ID, Secret, Scope string
}

// Validate reports a credential the API cannot use; config loading can
// call it to fail early.
func (c Client) Validate() error {
	switch {
	case c.ID == "":
		return fmt.Errorf("onelogin: client with an empty clientId")
	case c.Secret == "":
		return fmt.Errorf("onelogin: client %q has an empty clientSecret", c.ID)
	case !ValidScope(c.Scope):
		return fmt.Errorf("onelogin: client %q has scope %q; want one of %s, %s, %s, %s, %s", c.ID, c.Scope,
			ScopeAuthenticationOnly, ScopeReadUsers, ScopeManageUsers, ScopeReadAll, ScopeManageAll)
	}
	return nil
}

// DefaultRatePerHour is OneLogin's documented 5,000 calls per hour.
const DefaultRatePerHour = 5000

// DefaultAccountID is the account_id of token responses when none is set.
const DefaultAccountID = 1

// MinKeyLength is the shortest server key NewAuth accepts, in bytes.
const MinKeyLength = 32

// AuthOptions tune an Auth; zero values take the defaults.
type AuthOptions struct {
	Clock       domain.Clock // default domain.SystemClock
	RatePerHour int          // per credential; default DefaultRatePerHour
	AccountID   int          // account_id of token responses; default DefaultAccountID
	Log         *slog.Logger // default slog.Default()
	// Limiter holds the shared buckets of the rate limits; required.
	Limiter *limiter.Limiter
	// FailedTokensPerIP limits the token requests of one client address
	// that fail (config limits.tokenRequestsPerIp); zero: no limit.
	FailedTokensPerIP throttle.Rate
	// TrustedProxies tell the client address (config limits.trustedProxies).
	TrustedProxies []netip.Prefix
}

// Auth issues, revokes and checks the API's OAuth tokens and rate-limits
// the calls made with them. It is safe for concurrent use.
type Auth struct {
	store   *eventstore.Store
	key     []byte
	clock   domain.Clock
	account int
	log     *slog.Logger
	limiter *limiter.Limiter
	perHour int
	// failedTokens limits the failing token requests of a client address.
	failedTokens   throttle.Rate
	trustedProxies []netip.Prefix
	// clients by client id, and by the short hash that prefixes tokens.
	byID    map[string]*credential
	byShort map[string]*credential
}

// credential is a configured client with its aggregate.
type credential struct {
	Client
	hash    string // hex SHA-256 of the id: the aggregate id
	subject string // events.apiclient.<hash>
}

// short is the token prefix naming the credential's aggregate.
func (c *credential) short() string { return c.hash[:shortHashLength] }

// NewAuth builds the token service for clients. key (at least MinKeyLength
// bytes) derives the tokens; keep it secret and stable across restarts and
// processes, or issued tokens stop matching. A client that fails Validate
// is left out and logged; a key that is too short panics.
func NewAuth(store *eventstore.Store, clients []Client, key []byte, opts AuthOptions) *Auth {
	if len(key) < MinKeyLength {
		panic(fmt.Sprintf("onelogin: token key has %d bytes, want at least %d", len(key), MinKeyLength))
	}
	if opts.Clock == nil {
		opts.Clock = domain.SystemClock{}
	}
	if opts.RatePerHour <= 0 {
		opts.RatePerHour = DefaultRatePerHour
	}
	if opts.AccountID == 0 {
		opts.AccountID = DefaultAccountID
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Limiter == nil {
		panic("onelogin: NewAuth needs the shared limiter")
	}
	a := &Auth{
		store: store, key: append([]byte(nil), key...), clock: opts.Clock, account: opts.AccountID, log: opts.Log,
		limiter: opts.Limiter, perHour: opts.RatePerHour, failedTokens: opts.FailedTokensPerIP, trustedProxies: opts.TrustedProxies,
		byID: map[string]*credential{}, byShort: map[string]*credential{},
	}
	for _, c := range clients {
		if err := c.Validate(); err != nil {
			a.log.Error("onelogin: API client ignored", "err", err)
			continue
		}
		if _, dup := a.byID[c.ID]; dup {
			a.log.Error("onelogin: API client ignored: duplicate clientId", "clientId", c.ID)
			continue
		}
		cred := &credential{Client: c, hash: clientHash(c.ID)}
		cred.subject = ClientSubject(c.ID)
		if _, clash := a.byShort[cred.short()]; clash {
			// 64-bit prefixes of SHA-256: never in practice, but never wrong.
			a.log.Error("onelogin: API client ignored: token prefix collision", "clientId", c.ID)
			continue
		}
		a.byID[c.ID], a.byShort[cred.short()] = cred, cred
	}
	return a
}

// ClientSubject is the subject of a client's token events.
func ClientSubject(clientID string) string {
	return eventstore.MustSubject(AggregateType, clientHash(clientID))
}

// clientHash hides the client id behind a hash, so odd characters never
// reach a subject.
func clientHash(id string) string {
	sum := sha256.Sum256([]byte("apiclient:" + id))
	return fmt.Sprintf("%x", sum)
}

// authenticate finds the client with these credentials, comparing the
// secret in constant time; nil when they do not match.
func (a *Auth) authenticate(id, secret string) *credential {
	cred, ok := a.byID[id]
	var want [sha256.Size]byte // an unknown id costs the same comparison
	if ok {
		want = sha256.Sum256([]byte(cred.Secret))
	}
	got := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(want[:], got[:]) != 1 || !ok {
		return nil
	}
	return cred
}

// Register mounts POST /auth/oauth2/v2/token and POST /auth/oauth2/revoke.
// Other methods on those paths answer OneLogin's 404 "No Route Exists".
func (a *Auth) Register(r *mux.Router) {
	api := a.commandAPI()
	r.HandleFunc(TokenPath, command.Handler(api, a.parseTokenCall, a.serveToken)).Methods(http.MethodPost)
	r.HandleFunc(RevokePath, command.Handler(api, a.parseTokenCall, a.serveRevoke)).Methods(http.MethodPost)
	r.HandleFunc(TokenPath, noRoute)
	r.HandleFunc(RevokePath, noRoute)
}

// Paths of the token endpoints.
const (
	TokenPath  = "/auth/oauth2/v2/token"
	RevokePath = "/auth/oauth2/revoke"
)

func noRoute(w http.ResponseWriter, _ *http.Request) {
	WriteStatusEnvelope(w, domain.E("onelogin.token.no_route"))
}

type clientKey struct{}

// ClientFrom returns the client whose bearer token authenticated the
// request (set by Require). Its Secret is left empty.
func ClientFrom(ctx context.Context) (Client, bool) {
	c, ok := ctx.Value(clientKey{}).(Client)
	return c, ok
}

func withClient(ctx context.Context, c Client) context.Context {
	c.Secret = ""
	return context.WithValue(ctx, clientKey{}, c)
}
