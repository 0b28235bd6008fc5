// Package embedded runs a nats-server with JetStream inside the authtrail
// process, for single-node deployments, development and tests.
package embedded

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/authtrail/authtrail/filelock"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// readyTimeout bounds how long Start waits for the server to accept
// connections; recovering a large store can take a while.
const readyTimeout = 10 * time.Second

// Options configures the embedded server.
type Options struct {
	// DataDir holds the JetStream file store.
	DataDir string
	// SyncAlways fsyncs every write before it is acknowledged
	// (the server's "sync_interval: always").
	SyncAlways bool
	// ServerName names the server; required once it joins a cluster.
	ServerName string
	// Listen is a "host:port" for external clients; "" accepts in-process
	// connections only. Port -1 picks a free one; ns.ClientURL() tells.
	Listen string
	// Users may connect from outside, confined to their roles. Every
	// connection authenticates: Connect as an internal user, external
	// clients as one of these.
	Users []User
}

// Start runs a JetStream-enabled server and waits until it accepts
// connections.
func Start(opts Options) (*server.Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("embedded: DataDir is required")
	}
	if err := validateUsers(opts.Users); err != nil {
		return nil, err
	}
	// One server per data directory: two on one store lose acknowledged
	// events and register a name twice.
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: data directory: %w", err)
	}
	lock, err := filelock.Acquire(filepath.Join(opts.DataDir, LockFile))
	if err != nil {
		// "…: <dir>/authtrail.lock: in use by another process (pid N)"
		return nil, fmt.Errorf("embedded: data directory %s: %w", opts.DataDir, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = lock.Close()
		}
	}()
	internal, err := newInternalCredentials()
	if err != nil {
		return nil, err
	}
	sopts := &server.Options{
		ServerName: opts.ServerName,
		JetStream:  true,
		StoreDir:   opts.DataDir,
		SyncAlways: opts.SyncAlways,
		DontListen: opts.Listen == "",
		NoLog:      true,
		// The host process owns signal handling.
		NoSigs: true,
		// No NoAuthUser: an anonymous external client must be refused, not
		// given some user's rights.
		Users: serverUsers(internal, opts.Users),
		// The role permissions name acks and flow control replies in the v1
		// format ($JS.ACK.<stream>.>); keep it should the default change.
		FeatureFlags: map[string]bool{server.FeatureFlagJsAckFormatV2: false},
	}
	if opts.Listen != "" {
		host, port, err := splitHostPort(opts.Listen)
		if err != nil {
			return nil, err
		}
		sopts.Host, sopts.Port = host, port
	}
	ns, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("embedded: new server: %w", err)
	}
	internalCreds.Store(ns, internal)
	locks.Store(ns, lock)
	ok = true
	ns.Start()
	if !ns.ReadyForConnections(readyTimeout) {
		Shutdown(ns)
		return nil, fmt.Errorf("embedded: server not ready after %s", readyTimeout)
	}
	return ns, nil
}

// LockFile, in the data directory, is held by the server running on it.
const LockFile = "authtrail.lock"

// locks are the data directories' locks, by server: Shutdown releases
// them once the store is closed.
var locks sync.Map // *server.Server -> *filelock.Lock

func splitHostPort(listen string) (string, int, error) {
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, fmt.Errorf("embedded: listen address %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return "", 0, fmt.Errorf("embedded: listen port %q: %w", portText, err)
	}
	return host, port, nil
}

// Connect opens a named in-process connection to ns, with full access when
// Start made ns. Each component should get its own connection, because some
// libraries close or drain the connection they are given.
func Connect(ns *server.Server, name string) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.InProcessServer(ns),
		nats.Name(name),
		// An in-process server only "disconnects" while shutting down or
		// restarting; keep trying rather than giving up on the component.
		nats.MaxReconnects(-1),
		nats.ReconnectWait(100 * time.Millisecond),
		nats.RetryOnFailedConnect(false),
		nats.CustomInboxPrefix(internalInboxPrefix),
	}
	if c, ok := lookupCredentials(ns); ok {
		opts = append(opts, nats.UserInfo(c.user, c.password))
	}
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded: connect %q: %w", name, err)
	}
	return nc, nil
}

// Shutdown stops ns and waits until it has released its store.
func Shutdown(ns *server.Server) {
	if ns == nil {
		return
	}
	ns.Shutdown()
	ns.WaitForShutdown()
	internalCreds.Delete(ns)
	if l, ok := locks.LoadAndDelete(ns); ok {
		_ = l.(*filelock.Lock).Close()
	}
}
