package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRawClientReusesItsConnectionAndReadsEveryFraming(t *testing.T) {
	var conns atomic.Int32
	var calls atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != "PUT" || r.URL.Path != "/api/experience" || string(body) != `{"a":1}` {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		switch calls.Add(1) {
		case 1:
			w.WriteHeader(http.StatusNoContent)
		case 2: // chunked
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			io.WriteString(w, strings.Repeat("x", 10000))
		case 3:
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	c, err := newRawClient(srv.URL, "PUT", "/api/experience", `{"a":1}`)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for i, want := range []int{204, 200, 204, 204, 204} {
		if err := c.do(want); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections; want 2 (one closed by the server after the third request)", n)
	}
	if err := c.do(200); err == nil || !strings.Contains(err.Error(), "status 204") {
		t.Errorf("wrong status: got %v", err)
	}
}
