package admin

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/authtrail/authtrail/projections"
)

// The admin requests a running server answers on NATS, for `authtrail
// projections` (docs/audit.md, Commands); only the audit role may send them
// (eventstore/embedded.AdminSubjects).
const (
	StatusSubject  = "admin.authtrail.projections.status"
	RebuildSubject = "admin.authtrail.projections.rebuild"
)

// RebuildRequest names the projection to rebuild.
type RebuildRequest struct {
	Name string `json:"name"`
}

// RebuildReply is the version being built.
type RebuildReply struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
}

// requestTimeout bounds one admin request's work.
const requestTimeout = 10 * time.Second

// Serve answers the admin requests on nc until the service is stopped.
func Serve(nc *nats.Conn, host *projections.Host) (micro.Service, error) {
	svc, err := micro.AddService(nc, micro.Config{Name: "authtrail_admin", Version: "1.0.0",
		Description: "projections status and rebuild for authtrail projections"})
	if err != nil {
		return nil, err
	}
	status := micro.HandlerFunc(func(req micro.Request) {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		st, err := host.Statuses(ctx)
		if err != nil {
			_ = req.Error("500", err.Error(), nil)
			return
		}
		_ = req.RespondJSON(st)
	})
	rebuild := micro.HandlerFunc(func(req micro.Request) {
		var in RebuildRequest
		if err := json.Unmarshal(req.Data(), &in); err != nil || in.Name == "" {
			_ = req.Error("400", `want {"name": "<projection>"}`, nil)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		version, err := host.Rebuild(ctx, in.Name)
		switch {
		case errors.Is(err, projections.ErrUnknown):
			_ = req.Error("404", "no projection named "+in.Name, nil)
		case err != nil:
			_ = req.Error("500", err.Error(), nil)
		default:
			_ = req.RespondJSON(RebuildReply{Name: in.Name, Version: version})
		}
	})
	for name, ep := range map[string]struct {
		subject string
		h       micro.Handler
	}{"status": {StatusSubject, status}, "rebuild": {RebuildSubject, rebuild}} {
		if err := svc.AddEndpoint(name, ep.h, micro.WithEndpointSubject(ep.subject)); err != nil {
			_ = svc.Stop()
			return nil, err
		}
	}
	return svc, nil
}
