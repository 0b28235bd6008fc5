package apitest

import (
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is a message the test SMTP server received.
type Mail struct {
	From string
	To   []string
	Data string
}

// SMTPServer is a real SMTP server on loopback that keeps what it receives.
type SMTPServer struct {
	Host string
	Port int
	// BeforeData, when set before the first mail, runs in each session
	// before its message is accepted (a test holds or counts sends there).
	BeforeData func()
	mu         sync.Mutex
	mail       []Mail
	got        chan struct{}
	srv        *smtp.Server
}

// NewSMTPServer starts an SMTP server (no TLS, no auth) for the test.
func NewSMTPServer(t testing.TB) *SMTPServer {
	t.Helper()
	s, err := ListenSMTP()
	if err != nil {
		t.Fatalf("apitest: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// ListenSMTP starts an SMTP server on a free loopback port.
func ListenSMTP() (*SMTPServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &SMTPServer{got: make(chan struct{}, 1024)}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	go func() { _ = s.srv.Serve(ln) }()
	addr := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = addr.IP.String(), addr.Port
	return s, nil
}

// Close stops the server.
func (s *SMTPServer) Close() error { return s.srv.Close() }

// Count is how many messages arrived.
func (s *SMTPServer) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mail)
}

// Addr is host:port.
func (s *SMTPServer) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Mail returns the messages received so far.
func (s *SMTPServer) Mail() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mail...)
}

// WaitMail waits until n messages arrived in all, and returns them.
func (s *SMTPServer) WaitMail(t testing.TB, n int) []Mail {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := s.Mail(); len(got) >= n {
			return got
		}
		select {
		case <-s.got:
		case <-deadline:
			t.Fatalf("apitest: %d mails arrived, want %d", len(s.Mail()), n)
		}
	}
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// Code is the 6-digit code in the message body.
func (m Mail) Code() string {
	body := m.Data
	if i := strings.Index(body, "\r\n\r\n"); i >= 0 {
		body = body[i:]
	}
	return sixDigits.FindString(body)
}

// NewSession implements smtp.Backend.
func (s *SMTPServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: s}, nil }

type smtpSession struct {
	srv *SMTPServer
	msg Mail
}

func (ss *smtpSession) Reset()        { ss.msg = Mail{} }
func (ss *smtpSession) Logout() error { return nil }
func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.msg.From = from
	return nil
}
func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.msg.To = append(ss.msg.To, to)
	return nil
}
func (ss *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if ss.srv.BeforeData != nil {
		ss.srv.BeforeData()
	}
	if err != nil {
		return err
	}
	ss.msg.Data = string(data)
	ss.srv.mu.Lock()
	ss.srv.mail = append(ss.srv.mail, ss.msg)
	ss.srv.mu.Unlock()
	select {
	case ss.srv.got <- struct{}{}:
	default:
	}
	return nil
}
