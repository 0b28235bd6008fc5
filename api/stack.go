package api

import (
	"context"
	"log/slog"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/eventstore"
)

// Options assemble the HTTP surface over an open event store. Clock, IDs
// and Log have defaults; Hasher defaults to the OWASP parameters.
type Options struct {
	Experience experience.Config
	Hasher     *password.Hasher
	Breached   password.Breached
	Clock      domain.Clock
	IDs        domain.IDs
	Log        *slog.Logger
}

// New builds the server over store; the same wiring serves the binary, the
// tests and the benchmarks.
func New(ctx context.Context, store *eventstore.Store, o Options) (*Server, error) {
	users, err := accounts.Open(ctx, store)
	if err != nil {
		return nil, err
	}
	if o.Hasher == nil {
		o.Hasher = password.NewHasher(0, nil)
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	exp := experience.New(o.Experience, experience.Deps{
		Store: store, Users: users, Hasher: o.Hasher, Breached: o.Breached, Clock: o.Clock, IDs: o.IDs, Log: o.Log,
	})
	return NewServer(exp, o.Log), nil
}
