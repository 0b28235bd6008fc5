package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
)

// A body that never finishes and a keep-alive connection left idle are
// closed once http.readTimeout and http.idleTimeout pass, and no more than
// http.maxConnections connections are served at once.
func TestServeBoundsSlowIdleAndExtraConnections(t *testing.T) {
	t.Setenv("AUTHTRAIL_HTTP_READ_TIMEOUT", "1s")
	t.Setenv("AUTHTRAIL_HTTP_IDLE_TIMEOUT", "1s")
	t.Setenv("AUTHTRAIL_HTTP_MAX_CONNECTIONS", "2")
	base, stop := startServe(t, "--data-dir", t.TempDir())
	defer stop()
	u, _ := url.Parse(base)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// closedWithin reports whether the server closed c within d.
	closedWithin := func(c net.Conn, d time.Duration) bool {
		_ = c.SetReadDeadline(time.Now().Add(d))
		r := bufio.NewReader(c)
		for {
			if _, err := r.ReadByte(); err != nil {
				return !strings.Contains(err.Error(), "timeout")
			}
		}
	}

	slow := dial()
	start := time.Now()
	_, _ = slow.Write([]byte("PUT /api/experience HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"))
	if !closedWithin(slow, 5*time.Second) {
		t.Fatal("a body that never finishes kept its connection past http.readTimeout")
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("closed after %v, before http.readTimeout", d)
	}

	idle := dial()
	_, _ = idle.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
	if !closedWithin(idle, 5*time.Second) {
		t.Fatal("an idle keep-alive connection stayed open past http.idleTimeout")
	}

	// Two held connections: a third is not served until one goes.
	held := []net.Conn{dial(), dial()}
	for _, c := range held {
		_, _ = c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.Contains(line, "200") {
			t.Fatalf("held connection: %q %v", line, err)
		}
	}
	third := dial()
	_, _ = third.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
	_ = third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := bufio.NewReader(third).ReadString('\n'); err == nil {
		t.Fatal("a third connection was served beyond http.maxConnections")
	}
	held[0].Close()
	_ = third.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := bufio.NewReader(third).ReadString('\n'); err != nil || !strings.Contains(line, "200") {
		t.Fatalf("the third connection once one closed: %q %v", line, err)
	}
}

// A second server on a data directory in use exits 1 with one line naming
// the directory and the owner's pid.
func TestASecondServeOnADataDirectoryInUseExits(t *testing.T) {
	dir := t.TempDir()
	_, stop := startServe(t, "--data-dir", dir)
	defer stop()
	var stderr apitest.SyncBuffer
	code := run(context.Background(), []string{"serve", "--http-addr", "127.0.0.1:0", "--data-dir", dir}, io.Discard, &stderr)
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if code != 1 || len(lines) != 1 || !strings.Contains(lines[0], dir) || !strings.Contains(lines[0], fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("exit %d, stderr %q: want 1 and one line naming %s and pid %d", code, stderr.String(), dir, os.Getpid())
	}
}
