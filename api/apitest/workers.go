package apitest

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/eventstore/natstest"
	"github.com/authtrail/authtrail/workers"
	"github.com/authtrail/authtrail/workers/connectors"
	"github.com/nats-io/nats.go/jetstream"
)

// StartWorkers runs the server's workers (api.StartWorkers) on their own
// connection, with short retry waits; they stop when the test ends or on
// StopWorkers.
func (s *Server) StartWorkers(t testing.TB) {
	t.Helper()
	if s.nats == nil {
		t.Fatal("apitest: workers need the server's own NATS server")
	}
	o := api.WorkerOptions{Store: s.Store, Catalogue: s.api.Catalogue(), Clock: s.Clock,
		Log: s.log, PublicURL: PublicURL,
		DeliveryBackoff: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}, Webhooks: s.opts.Webhooks,
		Connectors: s.api.Connectors}
	var err error
	if s.opts.SMTP != nil {
		if o.Email, err = connectors.NewSMTP(connectors.SMTPConfig{Host: s.opts.SMTP.Host, Port: s.opts.SMTP.Port,
			From: "auth@example.com", TLS: "none"}); err != nil {
			t.Fatal(err)
		}
	}
	if s.opts.SMSURL != "" {
		o.SMS = connectors.NewSMSHTTP(connectors.SMSHTTPConfig{URL: s.opts.SMSURL}, http.DefaultClient)
	}
	stop, err := api.StartWorkers(context.Background(), natstest.NewConn(t, s.nats), o)
	if err != nil {
		t.Fatal(err)
	}
	s.stop = stop
	t.Cleanup(s.StopWorkers)
}

// PublicURL is the public URL of test servers: the source of their
// CloudEvents.
const PublicURL = "http://localhost:3001"

// StopWorkers stops the delivery worker.
func (s *Server) StopWorkers() {
	if s.stop != nil {
		s.stop()
	}
}

// WaitEvent waits until the stream holds n events of the type.
func (s *Server) WaitEvent(t testing.TB, eventType string, n int) {
	t.Helper()
	ctx := context.Background()
	stream, err := s.Store.JetStream().Stream(ctx, s.Store.Stream())
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		info, err := stream.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
			if msg, err := stream.GetMsg(ctx, seq); err == nil && msg.Header.Get("Ev-Type") == eventType {
				count++
			}
		}
		if count >= n {
			return
		}
	}
	t.Fatalf("apitest: fewer than %d %s events", n, eventType)
}

// WaitPoison waits until the poison stream holds n messages.
func (s *Server) WaitPoison(t testing.TB, n int) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		stream, err := s.Store.JetStream().Stream(ctx, workers.PoisonStream)
		if err == nil {
			if info, err := stream.Info(ctx); err == nil && info.State.Msgs >= uint64(n) {
				return
			}
		} else if err != jetstream.ErrStreamNotFound {
			t.Fatal(err)
		}
	}
	t.Fatalf("apitest: fewer than %d poison messages", n)
}

// Logs is everything the server and workers logged.
func (s *Server) Logs() string { return s.logs.String() }

// SyncBuffer is a bytes.Buffer that a server goroutine may write while a
// test reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Clone(b.buf.String())
}
