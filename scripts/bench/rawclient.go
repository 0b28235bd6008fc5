package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
)

// rawClient sends one pre-encoded request again and again over its own
// keep-alive HTTP/1.1 connection. On a 2-core machine the load generator
// competes with the server for the CPU; http.Client, with its connection
// goroutines and per-request allocations, costs about as much per request as
// the server does, and that cost is the load generator's, not the engine's.
// A lean client, as wrk would be, leaves the CPU to the server measured.
// Responses are parsed by net/http, so every framing the server may choose
// is read correctly.
type rawClient struct {
	addr    string
	request []byte
	conn    net.Conn
	r       *bufio.Reader
}

func newRawClient(base, method, path, body string) (*rawClient, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		method, path, u.Host, len(body), body)
	return &rawClient{addr: u.Host, request: []byte(req)}, nil
}

// do sends the request and checks the response status.
func (c *rawClient) do(want int) error {
	if c.conn == nil {
		conn, err := net.Dial("tcp", c.addr)
		if err != nil {
			return err
		}
		c.conn, c.r = conn, bufio.NewReader(conn)
	}
	status, err := c.roundTrip()
	if err != nil {
		c.close()
		return err
	}
	if status != want {
		return fmt.Errorf("status %d, want %d", status, want)
	}
	return nil
}

func (c *rawClient) roundTrip() (int, error) {
	if _, err := c.conn.Write(c.request); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.Close {
		c.close()
	}
	return resp.StatusCode, err
}

func (c *rawClient) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}
