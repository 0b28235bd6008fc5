package connectors_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/workers/connectors"
)

var signIn = connectors.Message{
	ID: "send1", Channel: connectors.ChannelEmail, To: "ada@example.com", Code: "123456",
	Template: connectors.TemplateSignIn, ExpiresIn: 10 * time.Minute,
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newSMTP(t *testing.T, cfg connectors.SMTPConfig) connectors.Sender {
	t.Helper()
	sender, err := connectors.NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return sender
}

func TestSMTPPlain(t *testing.T) {
	srv := startSMTPServer(t, smtpServerOptions{})
	sender := newSMTP(t, connectors.SMTPConfig{
		Host: srv.host, Port: srv.port, TLS: connectors.SMTPTLSNone, From: "Authtrail <no-reply@example.com>",
	})
	if err := sender.Send(testContext(t), signIn); err != nil {
		t.Fatalf("send: %v", err)
	}
	checkMail(t, srv, "no-reply@example.com", signIn)
}

// The server offers AUTH only over TLS and refuses mail before AUTH, so a
// delivered mail proves both.
func TestSMTPStartTLSWithAuth(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	srv := startSMTPServer(t, smtpServerOptions{startTLS: serverTLS, username: "mailer", password: "s3cret"})
	sender := newSMTP(t, connectors.SMTPConfig{
		Host: srv.host, Port: srv.port, TLS: connectors.SMTPTLSStartTLS,
		Username: "mailer", Password: "s3cret", From: "no-reply@example.com",
		TLSConfig: &tls.Config{RootCAs: roots},
	})
	if err := sender.Send(testContext(t), signIn); err != nil {
		t.Fatalf("send: %v", err)
	}
	checkMail(t, srv, "no-reply@example.com", signIn)
}

func TestSMTPImplicitTLS(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	srv := startSMTPServer(t, smtpServerOptions{implicit: serverTLS, username: "mailer", password: "s3cret"})
	sender := newSMTP(t, connectors.SMTPConfig{
		Host: srv.host, Port: srv.port, TLS: connectors.SMTPTLSImplicit,
		Username: "mailer", Password: "s3cret", From: "no-reply@example.com",
		TLSConfig: &tls.Config{RootCAs: roots},
	})
	if err := sender.Send(testContext(t), signIn); err != nil {
		t.Fatalf("send: %v", err)
	}
	checkMail(t, srv, "no-reply@example.com", signIn)
}

func TestSMTPFailures(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	tests := map[string]struct {
		server    smtpServerOptions
		cfg       connectors.SMTPConfig
		code      string
		permanent bool
	}{
		"recipient rejected": {
			server: smtpServerOptions{reject: signIn.To},
			cfg:    connectors.SMTPConfig{TLS: connectors.SMTPTLSNone},
			code:   connectors.CodeInvalidResponse, permanent: true,
		},
		"recipient busy": {
			server: smtpServerOptions{reject: signIn.To, rejectCode: 450},
			cfg:    connectors.SMTPConfig{TLS: connectors.SMTPTLSNone},
			code:   connectors.CodeGeneral, permanent: false,
		},
		"wrong password": {
			server: smtpServerOptions{startTLS: serverTLS, username: "mailer", password: "s3cret"},
			cfg: connectors.SMTPConfig{TLS: connectors.SMTPTLSStartTLS, Username: "mailer", Password: "guess",
				TLSConfig: &tls.Config{RootCAs: roots}},
			code: connectors.CodeInvalidConfig, permanent: true,
		},
		"untrusted certificate": {
			server: smtpServerOptions{startTLS: serverTLS},
			cfg:    connectors.SMTPConfig{TLS: connectors.SMTPTLSStartTLS},
			code:   connectors.CodeInvalidConfig, permanent: true,
		},
		"no STARTTLS offered": {
			server: smtpServerOptions{},
			cfg:    connectors.SMTPConfig{TLS: connectors.SMTPTLSStartTLS},
			code:   connectors.CodeInvalidConfig, permanent: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := startSMTPServer(t, tc.server)
			tc.cfg.Host, tc.cfg.Port, tc.cfg.From = srv.host, srv.port, "no-reply@example.com"
			err := newSMTP(t, tc.cfg).Send(testContext(t), signIn)
			checkError(t, err, tc.code, tc.permanent)
			if n := len(srv.received()); n != 0 {
				t.Errorf("server received %d mails", n)
			}
		})
	}
}

func TestSMTPServerDownIsTransient(t *testing.T) {
	sender := newSMTP(t, connectors.SMTPConfig{Host: "127.0.0.1", Port: closedPort(t), TLS: connectors.SMTPTLSNone,
		From: "no-reply@example.com", Timeout: time.Second})
	checkError(t, sender.Send(testContext(t), signIn), connectors.CodeGeneral, false)
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

func TestNewSMTPRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]connectors.SMTPConfig{
		"no host":      {From: "a@example.com"},
		"bad from":     {Host: "localhost", From: "not an address"},
		"bad tls mode": {Host: "localhost", From: "a@example.com", TLS: "sometimes"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := connectors.NewSMTP(cfg)
			checkError(t, err, connectors.CodeInvalidConfig, true)
		})
	}
}

// checkMail finds the one mail the server got and checks its envelope,
// headers and that the body carries the code.
func checkMail(t *testing.T, srv *smtpServer, from string, m connectors.Message) {
	t.Helper()
	mails := srv.received()
	if len(mails) != 1 {
		t.Fatalf("server received %d mails, want 1", len(mails))
	}
	got := mails[0]
	if got.From != from || len(got.To) != 1 || got.To[0] != m.To {
		t.Errorf("envelope from %q to %v, want %q to %q", got.From, got.To, from, m.To)
	}
	parsed, err := netmail.ReadMessage(strings.NewReader(string(got.Data)))
	if err != nil {
		t.Fatalf("parse mail: %v", err)
	}
	if id := parsed.Header.Get("Message-Id"); id != "<"+m.ID+"@example.com>" {
		t.Errorf("Message-ID %q: want the send id at the sender's domain, the same on every try", id)
	}
	wantSubject, wantText := connectors.Render(m)
	subject, err := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
	if err != nil || subject != wantSubject {
		t.Errorf("subject %q (%v), want %q", subject, err, wantSubject)
	}
	if addr, err := parsed.Header.AddressList("To"); err != nil || len(addr) != 1 || addr[0].Address != m.To {
		t.Errorf("To header %q", parsed.Header.Get("To"))
	}
	if addr, err := parsed.Header.AddressList("From"); err != nil || len(addr) != 1 || addr[0].Address != from {
		t.Errorf("From header %q", parsed.Header.Get("From"))
	}
	body := io.Reader(parsed.Body)
	if strings.EqualFold(parsed.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), m.Code) || !strings.Contains(string(text), wantText) {
		t.Errorf("body %q does not carry %q", text, wantText)
	}
}

func checkError(t *testing.T, err error, code string, permanent bool) {
	t.Helper()
	var cerr *connectors.Error
	if !errors.As(err, &cerr) {
		t.Fatalf("error %v (%T), want a *connectors.Error", err, err)
	}
	if cerr.Code != code || cerr.Permanent != permanent || cerr.IsPermanent() != permanent {
		t.Errorf("error %v: code %s permanent %v, want %s %v", err, cerr.Code, cerr.Permanent, code, permanent)
	}
}
