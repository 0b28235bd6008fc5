package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Options lay the cluster out. Zero ports are picked free.
type Options struct {
	Dir string // configs, data and logs (and the binaries, unless Bin)
	// Bin holds nats-server and authtrail already built (Build); empty:
	// Start builds them into Dir.
	Bin string
	// NATSPorts are the client ports of the three nodes, HTTPPorts those
	// of the authtrail processes (two by default).
	NATSPorts []int
	HTTPPorts []int
	// Config is YAML appended to every authtrail process's configuration
	// (connectors, webhooks, the sign-in experience).
	Config string
	// Log receives progress lines (nil: none).
	Log func(format string, args ...any)
}

// Cluster is three nats-server processes clustered with JetStream
// (sync_interval always) and authtrail processes on them.
type Cluster struct {
	opts  Options
	Nodes []*Process
	Apps  []*Process
	// NATSURL lists every node, as the authtrail processes are given it.
	NATSURL string
}

// Process is one child process and where it listens.
type Process struct {
	Name   string
	Port   int // client port (NATS) or HTTP port (authtrail)
	args   []string
	bin    string
	log    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// URL is an authtrail process's base URL, or a node's client URL.
func (p *Process) URL() string {
	if strings.HasPrefix(p.Name, "n") {
		return fmt.Sprintf("nats://127.0.0.1:%d", p.Port)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", p.Port)
}

// Build compiles nats-server (from the module this repository requires)
// and authtrail into dir.
func Build(ctx context.Context, dir string) error {
	for _, b := range []struct{ out, pkg string }{
		{"nats-server", "github.com/nats-io/nats-server/v2"},
		{"authtrail", "github.com/authtrail/authtrail/cmd/authtrail"},
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return nil
}

// Start builds and starts the cluster, and returns once every authtrail
// process answers /healthz 200.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
	if len(o.NATSPorts) == 0 {
		o.NATSPorts = make([]int, 3)
	}
	if len(o.HTTPPorts) == 0 {
		o.HTTPPorts = make([]int, 2)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, err
	}
	if o.Bin == "" {
		o.Bin = o.Dir
		o.Log("building nats-server and authtrail into %s", o.Dir)
		if err := Build(ctx, o.Dir); err != nil {
			return nil, err
		}
	}
	c := &Cluster{opts: o}
	if err := c.startNodes(); err != nil {
		c.Stop()
		return nil, err
	}
	if err := c.startApps(); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) startNodes() error {
	n := len(c.opts.NATSPorts)
	routePorts := make([]int, n)
	for i := range n {
		var err error
		if c.opts.NATSPorts[i] == 0 {
			if c.opts.NATSPorts[i], err = freePort(); err != nil {
				return err
			}
		}
		if routePorts[i], err = freePort(); err != nil {
			return err
		}
	}
	var urls []string
	for i := range n {
		var routes []string
		for j, p := range routePorts {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
			}
		}
		name := fmt.Sprintf("n%d", i+1)
		conf := filepath.Join(c.opts.Dir, name+".conf")
		// sync_interval always: an acknowledged write is on each node's disk.
		text := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
jetstream { store_dir: %q, sync_interval: always }
cluster { name: authtrail, listen: 127.0.0.1:%d, routes: [%s] }
`, name, c.opts.NATSPorts[i], filepath.Join(c.opts.Dir, name), routePorts[i], strings.Join(routes, ", "))
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			return err
		}
		p := &Process{Name: name, Port: c.opts.NATSPorts[i], bin: filepath.Join(c.opts.Bin, "nats-server"),
			args: []string{"-c", conf}, log: filepath.Join(c.opts.Dir, name+".log")}
		c.Nodes = append(c.Nodes, p)
		urls = append(urls, p.URL())
	}
	c.NATSURL = strings.Join(urls, ",")
	for _, p := range c.Nodes {
		if err := p.start(); err != nil {
			return err
		}
	}
	for _, p := range c.Nodes {
		if err := waitTCP(p.Port, 30*time.Second); err != nil {
			return fmt.Errorf("%s: %w (log %s)", p.Name, err, p.log)
		}
	}
	if err := waitJetStream(c.NATSURL, 60*time.Second); err != nil {
		return err
	}
	c.opts.Log("NATS cluster: %s", c.NATSURL)
	return nil
}

// waitJetStream waits until the cluster has elected its JetStream meta
// leader: before that, creating a stream times out.
func waitJetStream(url string, limit time.Duration) error {
	nc, err := nats.Connect(url, nats.MaxReconnects(-1))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	var last error
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, last = js.AccountInfo(ctx)
		cancel()
		if last == nil {
			return nil
		}
	}
	return fmt.Errorf("JetStream not ready within %v: %w", limit, last)
}

func (c *Cluster) startApps() error {
	cookie, encryption := randomKey(), randomKey()
	for i := range c.opts.HTTPPorts {
		if c.opts.HTTPPorts[i] == 0 {
			port, err := freePort()
			if err != nil {
				return err
			}
			c.opts.HTTPPorts[i] = port
		}
		name := fmt.Sprintf("authtrail%d", i+1)
		port := c.opts.HTTPPorts[i]
		conf := filepath.Join(c.opts.Dir, name+".yaml")
		// Each process keeps its read models in a directory of its own; what
		// the processes share (log, ids, limits, keys) is in NATS.
		text := fmt.Sprintf(`http: {addr: "127.0.0.1:%d", publicUrl: "http://localhost:%d"}
nats: {url: %q, replicas: 3, dataDir: %q}
secrets: {cookieKey: %q, encryptionKey: %q}
%s`, port, port, c.NATSURL, filepath.Join(c.opts.Dir, name), cookie, encryption, c.opts.Config)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			return err
		}
		p := &Process{Name: name, Port: port, bin: filepath.Join(c.opts.Bin, "authtrail"),
			args: []string{"serve", "--config", conf}, log: filepath.Join(c.opts.Dir, name+".log")}
		c.Apps = append(c.Apps, p)
		if err := p.start(); err != nil {
			return err
		}
		// One at a time: the first creates the streams and buckets.
		if err := waitHealthy(p, 90*time.Second); err != nil {
			return err
		}
		c.opts.Log("%s: %s (log %s)", name, p.URL(), p.log)
	}
	return nil
}

func (p *Process) start() error {
	logFile, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	// The children die with the launcher, however it ends.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	p.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { _ = cmd.Wait(); close(exited) }(p.cmd, p.exited)
	return nil
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Process) Kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// Restart starts a killed node or process again with the same files.
func (p *Process) Restart() error {
	if err := p.start(); err != nil {
		return err
	}
	if strings.HasPrefix(p.Name, "n") {
		return waitTCP(p.Port, 30*time.Second)
	}
	return waitHealthy(p, 90*time.Second)
}

// stop asks the process to end (SIGTERM), then kills it after a grace.
func (p *Process) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.Kill()
	}
}

// Stop ends the authtrail processes, then the nodes.
func (c *Cluster) Stop() {
	for _, p := range c.Apps {
		p.stop()
	}
	for _, p := range c.Nodes {
		p.stop()
	}
}

// Node finds a node by server name.
func (c *Cluster) Node(name string) *Process {
	for _, p := range c.Nodes {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func waitHealthy(p *Process, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited during start-up (log %s)", p.Name, p.log)
		default:
		}
		resp, err := client.Get(p.URL() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("%s not healthy within %v (log %s)", p.Name, limit, p.log)
}

func waitTCP(port int, limit time.Duration) error {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
	}
	return errors.New("not listening")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
