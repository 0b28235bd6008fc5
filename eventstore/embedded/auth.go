package embedded

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sync"

	"github.com/nats-io/nats-server/v2/server"
)

// Roles confine external clients (audit-api.md §6).
const (
	// RoleDownstream may read AUTH_EVENTS and manage its consumers on it.
	RoleDownstream = "downstream"
	// RoleAudit may also read EVENTS and call the admin service.
	RoleAudit = "audit"
)

// User is an external client account of the embedded server.
type User struct {
	Name     string
	Password string
	// Role is RoleDownstream or RoleAudit; empty means RoleDownstream.
	Role string
}

const (
	// internalUserName is reserved for the process's own connections.
	internalUserName = "_authtrail_internal"
	// internalInboxPrefix keeps the replies to in-process connections (which
	// carry EVENTS messages) out of the "_INBOX.>" that external clients may
	// subscribe to.
	internalInboxPrefix = "_AUTHTRAIL_INBOX"
	// connTypeInProcess is jwt.ConnectionTypeInProcess, spelled out so that
	// nats-io/jwt stays an indirect dependency.
	connTypeInProcess = "IN_PROCESS"
)

type credentials struct{ user, password string }

// internalCreds maps a running *server.Server to the credentials of its
// internal user, so that Connect needs nothing but the server.
var internalCreds sync.Map

func lookupCredentials(ns *server.Server) (credentials, bool) {
	c, ok := internalCreds.Load(ns)
	if !ok {
		return credentials{}, false
	}
	return c.(credentials), true
}

// newInternalCredentials makes a password that lives only as long as one
// Start, so that it never needs to be configured or stored.
func newInternalCredentials() (credentials, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return credentials{}, fmt.Errorf("embedded: internal password: %w", err)
	}
	// Base64 never starts with "$2", which the server would take for bcrypt.
	return credentials{user: internalUserName, password: base64.RawURLEncoding.EncodeToString(b)}, nil
}

func validateUsers(users []User) error {
	seen := make(map[string]bool, len(users))
	for i, u := range users {
		switch {
		case u.Name == "":
			return fmt.Errorf("embedded: user %d: name is required", i)
		case u.Name == internalUserName:
			return fmt.Errorf("embedded: user %q: the name is reserved", u.Name)
		case seen[u.Name]:
			return fmt.Errorf("embedded: user %q: duplicate name", u.Name)
		case u.Password == "":
			return fmt.Errorf("embedded: user %q: password is required", u.Name)
		}
		if _, err := rolePermissions(u.Role); err != nil {
			return fmt.Errorf("embedded: user %q: %w", u.Name, err)
		}
		seen[u.Name] = true
	}
	return nil
}

// serverUsers lists the internal user first, unrestricted but usable only
// by in-process connections, then the external users confined to their
// roles. users must have passed validateUsers.
func serverUsers(internal credentials, users []User) []*server.User {
	out := []*server.User{{
		Username:               internal.user,
		Password:               internal.password,
		AllowedConnectionTypes: map[string]struct{}{connTypeInProcess: {}},
	}}
	for _, u := range users {
		perms, _ := rolePermissions(u.Role)
		out = append(out, &server.User{Username: u.Name, Password: u.Password, Permissions: perms})
	}
	return out
}

// AdminSubjects are the server's admin requests (projections status and
// rebuild), which the audit role may send: outside every stream's subjects,
// so no stream stores a request.
const AdminSubjects = "admin.authtrail.>"

const (
	eventsStream     = "EVENTS"      // eventstore.DefaultStream, subjects events.>
	authEventsStream = "AUTH_EVENTS" // the public stream, subjects authtrail.>
)

func rolePermissions(role string) (*server.Permissions, error) {
	switch role {
	case "", RoleDownstream:
		return permissions(nil, authEventsStream), nil
	case RoleAudit:
		return permissions([]string{AdminSubjects}, authEventsStream, eventsStream), nil
	}
	return nil, fmt.Errorf("unknown role %q (want %q or %q)", role, RoleDownstream, RoleAudit)
}

// permissions allows reading streams through JetStream consumers and direct
// gets, plus publishing to extraPub. Nothing else is allowed; the deny lists
// repeat what must never be allowed, should an allow ever be widened.
func permissions(extraPub []string, streams ...string) *server.Permissions {
	pub := []string{"$JS.API.INFO"}
	for _, s := range streams {
		pub = append(pub, readStreamSubjects(s)...)
	}
	pub = append(pub, extraPub...)
	denyPub := []string{
		"events.>",
		// Everything that creates, changes or removes a stream, KV bucket or
		// object store ($JS.API.STREAM.CREATE.KV_x and so on).
		"$JS.API.STREAM.CREATE.>",
		"$JS.API.STREAM.UPDATE.>",
		"$JS.API.STREAM.DELETE.>",
		"$JS.API.STREAM.PURGE.>",
		"$JS.API.STREAM.MSG.DELETE.>",
		"$JS.API.STREAM.RESTORE.>",
		"$KV.>",
		"$O.>",
		"authtrail.>",
		"codekeys.>",
	}
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: pub, Deny: denyPub},
		// Core subscriptions to stream subjects would bypass JetStream;
		// replies, consumer deliveries included, come to the client's inbox.
		Subscribe: &server.SubjectPermission{
			Allow: []string{"_INBOX.>"},
			Deny:  []string{"events.>", "authtrail.>", "codekeys.>", internalInboxPrefix + ".>"},
		},
	}
}

// readStreamSubjects are what nats.go's jetstream package publishes to read
// a stream with an ordered consumer, a named (durable) pull consumer, GetMsg
// and GetLastMsgForSubject; subject names as in nats-server's
// jetstream_api.go. Acks and flow control use the v1 format, which Start
// pins.
func readStreamSubjects(stream string) []string {
	return []string{
		"$JS.API.STREAM.INFO." + stream,
		// Legacy ephemeral, then CREATE.<stream>.<consumer>[.<filter>], which
		// nats.go uses for every consumer, ordered ones included.
		"$JS.API.CONSUMER.CREATE." + stream,
		"$JS.API.CONSUMER.CREATE." + stream + ".>",
		"$JS.API.CONSUMER.DURABLE.CREATE." + stream + ".*",
		"$JS.API.CONSUMER.INFO." + stream + ".*",
		// An ordered consumer deletes its previous consumer on reset.
		"$JS.API.CONSUMER.DELETE." + stream + ".*",
		"$JS.API.CONSUMER.LIST." + stream,
		"$JS.API.CONSUMER.NAMES." + stream,
		"$JS.API.CONSUMER.MSG.NEXT." + stream + ".>",
		"$JS.ACK." + stream + ".>",
		"$JS.FC." + stream + ".>",
		// GetMsg uses a direct get on streams with AllowDirect, else MSG.GET;
		// GetLastMsgForSubject puts the subject after the stream.
		"$JS.API.DIRECT.GET." + stream,
		"$JS.API.DIRECT.GET." + stream + ".>",
		"$JS.API.STREAM.MSG.GET." + stream,
	}
}
