package onelogin

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/command"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

// UsersDeps are what the Users v2 subset needs. Settings supplies the
// password and username policies (the Experience API's, so both APIs accept
// the same values); nil means settings.Default(). Hasher, Clock and Log
// have defaults.
type UsersDeps struct {
	Store    *eventstore.Store
	Users    *accounts.Users
	Hasher   *password.Hasher
	Settings *settings.SignInExperience
	Clock    domain.Clock
	Log      *slog.Logger
}

// UsersAPI serves the minimum of OneLogin's Users v2 API (docs/onelogin-api.md,
// Users) over the user aggregates the Experience API also uses.
type UsersAPI struct {
	api      *command.API
	store    *eventstore.Store
	users    *accounts.Users
	hasher   *password.Hasher
	settings *settings.SignInExperience
	clock    domain.Clock
	log      *slog.Logger
}

// NewUsersAPI fills in the defaults of d.
func NewUsersAPI(d UsersDeps) *UsersAPI {
	if d.Hasher == nil {
		d.Hasher = password.NewHasher(0, nil)
	}
	if d.Settings == nil {
		sie := settings.Default()
		d.Settings = &sie
	}
	if d.Clock == nil {
		d.Clock = domain.SystemClock{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	u := &UsersAPI{store: d.Store, users: d.Users, hasher: d.Hasher, settings: d.Settings, clock: d.Clock, log: d.Log}
	u.api = &command.API{Store: d.Store, Meta: u.meta, Reply: writeReply, Error: u.fail}
	return u
}

// Register mounts POST /api/2/users, GET /api/2/users and
// GET /api/2/users/{id} with their full paths: r is a router without a path
// prefix (the root router or a middleware-only subrouter of it) whose
// middleware has already authenticated the caller.
func (u *UsersAPI) Register(r *mux.Router) {
	r.HandleFunc("/api/2/users", command.Handler(u.api, u.parseCreate, u.create)).Methods(http.MethodPost)
	r.HandleFunc("/api/2/users", command.Handler(u.api, u.parseList, u.list)).Methods(http.MethodGet)
	r.HandleFunc("/api/2/users/{id}", command.Handler(u.api, parseUserID, u.get)).Methods(http.MethodGet)
}

// parseUserID reads the path's id: a positive decimal integer naming an
// existing user, else 404 NotFoundError.
func parseUserID(r *http.Request) (string, error) {
	n, err := strconv.ParseUint(mux.Vars(r)["id"], 10, 63)
	if err != nil || n == 0 {
		return "", domain.E("onelogin.user_not_found")
	}
	return strconv.FormatUint(n, 10), nil
}

// get serves GET /api/2/users/{id}.
func (u *UsersAPI) get(ctx context.Context, tx *eventstore.Tx, id string, inErr error) (command.Reply, error) {
	if inErr != nil {
		return command.Reply{}, inErr
	}
	found, err := usersLoad(ctx, tx, id)
	switch {
	case err != nil:
		return command.Reply{}, err
	case found == nil:
		return command.Reply{}, domain.E("onelogin.user_not_found")
	}
	return command.Reply{Status: http.StatusOK, Body: found.model()}, nil
}

// usersFilter is a look-up by a unique identifier: its kind (the query
// parameter's name) and claim key.
type usersFilter struct {
	kind, key string
}

// parseList reads the email and username filters, normalised as they are
// claimed. This subset has no listing of every user: without a filter it
// answers 422 ValidationError naming email and username.
func (u *UsersAPI) parseList(r *http.Request) ([]usersFilter, error) {
	q := r.URL.Query()
	var filters []usersFilter
	for _, kind := range []string{user.KindEmail, user.KindUsername} {
		if v := q.Get(kind); v != "" {
			filters = append(filters, usersFilter{kind: kind, key: u.users.Key(kind, v)})
		}
	}
	if len(filters) == 0 {
		return nil, ValidationFailed("email", "username").WithMessage("A filter is required: email or username")
	}
	return filters, nil
}

// list serves GET /api/2/users?email=&username=: the users whose normalised
// email and/or username equal the filters, as a bare array (empty when
// none).
func (u *UsersAPI) list(ctx context.Context, tx *eventstore.Tx, filters []usersFilter, inErr error) (command.Reply, error) {
	if inErr != nil {
		return command.Reply{}, inErr
	}
	out := []usersModel{}
	id := ""
	for _, f := range filters {
		owner, err := accounts.Owner(ctx, tx, f.kind, f.key)
		if err != nil {
			return command.Reply{}, err
		}
		if owner == "" || id != "" && owner != id {
			return command.Reply{Status: http.StatusOK, Body: out}, nil // no user matches every filter
		}
		id = owner
	}
	rec, err := usersLoad(ctx, tx, id)
	if err != nil {
		return command.Reply{}, err
	}
	if rec != nil {
		out = append(out, rec.model())
	}
	return command.Reply{Status: http.StatusOK, Body: out}, nil
}

func (u *UsersAPI) meta(r *http.Request) eventstore.Metadata {
	return eventstore.Metadata{Time: u.clock.Now(), Actor: "onelogin:users", CorrelationID: r.Header.Get("X-Request-Id")}
}

// fail answers a refused or failed Users command.
func (u *UsersAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeFailure(u.log, w, r, err)
}

// usersRecord is a folded user and the time of its last change.
type usersRecord struct {
	state     user.State
	updatedAt time.Time
}

// usersUsageEvents record the use of a factor, not a change of the user,
// so they do not move updated_at.
var usersUsageEvents = map[string]bool{
	"user.mfa.totp_used": true, "user.mfa.webauthn_used": true,
	"user.mfa.webauthn_counter_regressed": true, "user.mfa.backup_code_used": true,
	"user.mfa.temp_token_issued": true, "user.mfa.temp_token_used": true,
}

// usersLoad folds the user id inside tx; nil when there is no such user.
func usersLoad(ctx context.Context, tx *eventstore.Tx, id string) (*usersRecord, error) {
	envs, err := tx.Load(ctx, accounts.Subject(id))
	if err != nil || len(envs) == 0 {
		return nil, err
	}
	events, err := eventstore.Decode(envs, user.Events)
	if err != nil {
		return nil, err
	}
	rec := &usersRecord{state: user.Fold(events)}
	if !rec.state.Exists {
		return nil, nil
	}
	for _, env := range envs {
		if !usersUsageEvents[env.Type] {
			rec.updatedAt = env.Time
		}
	}
	return rec, nil
}
