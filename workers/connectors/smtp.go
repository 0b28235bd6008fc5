package connectors

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// SMTP transport security modes.
const (
	SMTPTLSNone     = "none"     // plain text; for a relay on a trusted network
	SMTPTLSStartTLS = "starttls" // upgrade required, usually port 587
	SMTPTLSImplicit = "implicit" // TLS from the first byte, usually port 465
)

// SMTPConfig configures the email sender.
type SMTPConfig struct {
	Host string
	// Port defaults to 587 (starttls), 465 (implicit) or 25 (none).
	Port int
	// Username turns on SMTP AUTH; the strongest mechanism the server
	// offers is used, and never a clear-text one without TLS.
	Username, Password string
	// From is the sender, e.g. "Authtrail <no-reply@example.com>".
	From string
	// TLS is none, starttls or implicit. Default starttls.
	TLS string
	// TLSConfig overrides the TLS settings, e.g. RootCAs for a private CA.
	// ServerName defaults to Host.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each SMTP exchange. Default 15s.
	Timeout time.Duration
}

type smtpSender struct {
	host string
	from string
	// idDomain is the right side of Message-IDs: the sender's domain.
	idDomain string
	opts     []mail.Option
}

// NewSMTP returns a Sender that delivers email through an SMTP server,
// one connection per message.
func NewSMTP(cfg SMTPConfig) (Sender, error) {
	if cfg.Host == "" {
		return nil, permanent(CodeInvalidConfig, "smtp: host is required")
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, permanent(CodeInvalidConfig, "smtp: from address %q: %w", cfg.From, err)
	}
	opts, err := smtpOptions(cfg)
	if err != nil {
		return nil, err
	}
	// Building a client once checks the options before the first send.
	if _, err := mail.NewClient(cfg.Host, opts...); err != nil {
		return nil, permanent(CodeInvalidConfig, "smtp: %w", err)
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	return &smtpSender{host: cfg.Host, from: cfg.From, idDomain: domain, opts: opts}, nil
}

func smtpOptions(cfg SMTPConfig) ([]mail.Option, error) {
	tlsConfig := &tls.Config{}
	if cfg.TLSConfig != nil {
		tlsConfig = cfg.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = cfg.Host
	}
	if tlsConfig.MinVersion == 0 {
		tlsConfig.MinVersion = tls.VersionTLS12
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	opts := []mail.Option{mail.WithTimeout(timeout), mail.WithTLSConfig(tlsConfig)}

	port := cfg.Port
	switch cfg.TLS {
	case SMTPTLSStartTLS, "":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
		port = portOr(port, mail.DefaultPortTLS)
	case SMTPTLSImplicit:
		opts = append(opts, mail.WithSSL())
		port = portOr(port, mail.DefaultPortSSL)
	case SMTPTLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
		port = portOr(port, mail.DefaultPort)
	default:
		return nil, permanent(CodeInvalidConfig, "smtp: tls mode %q: use none, starttls or implicit", cfg.TLS)
	}
	opts = append(opts, mail.WithPort(port))

	if cfg.Username != "" {
		opts = append(opts,
			mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(cfg.Username),
			mail.WithPassword(cfg.Password))
	}
	return opts, nil
}

func portOr(port, fallback int) int {
	if port == 0 {
		return fallback
	}
	return port
}

// Send delivers m as a plain-text email.
func (s *smtpSender) Send(ctx context.Context, m Message) error {
	msg := mail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return permanent(CodeInvalidConfig, "smtp: from address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return permanent(CodeInvalidResponse, "smtp: recipient address: %w", err)
	}
	if m.ID != "" {
		msg.SetMessageIDWithValue(m.ID + "@" + s.idDomain)
	}
	subject, text := Render(m)
	msg.Subject(subject)
	msg.SetBodyString(mail.TypeTextPlain, text)

	// A client per message: go-mail's Client keeps one connection, and
	// workers may send concurrently.
	client, err := mail.NewClient(s.host, s.opts...)
	if err != nil {
		return permanent(CodeInvalidConfig, "smtp: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return classifySMTP(err)
	}
	return nil
}

// classifySMTP sorts a go-mail error into retryable or not, by the SMTP
// reply code where there is one (4xx transient, 5xx permanent).
func classifySMTP(err error) *Error {
	var sendErr *mail.SendError
	if errors.As(err, &sendErr) {
		switch {
		case sendErr.IsTemp() || sendErr.ErrorCode() == 0:
			// No reply code: the connection failed mid-way.
			return transient(CodeGeneral, "smtp: %w", err)
		case sendErr.Reason == mail.ErrSMTPMailFrom:
			return permanent(CodeInvalidConfig, "smtp: sender refused: %w", err)
		default:
			return permanent(CodeInvalidResponse, "smtp: %w", err)
		}
	}
	if isTLSConfigError(err) || isAuthConfigError(err) {
		return permanent(CodeInvalidConfig, "smtp: %w", err)
	}
	var reply *textproto.Error
	if errors.As(err, &reply) && reply.Code >= 500 {
		// Refused at connection or AUTH time: wrong credentials or setup.
		return permanent(CodeInvalidConfig, "smtp: %w", err)
	}
	return transient(CodeGeneral, "smtp: %w", err)
}

// isTLSConfigError reports a certificate the client does not trust, which
// retrying cannot change.
func isTLSConfigError(err error) bool {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verify) ||
		// go-mail has no sentinel for a server without STARTTLS.
		strings.Contains(err.Error(), "does not support STARTTLS")
}

func isAuthConfigError(err error) bool {
	return errors.Is(err, mail.ErrNoSupportedAuthDiscovered) ||
		errors.Is(err, mail.ErrPlainAuthNotSupported) ||
		errors.Is(err, mail.ErrLoginAuthNotSupported) ||
		// Nor for a server without AUTH.
		strings.Contains(err.Error(), "does not support SMTP AUTH")
}
