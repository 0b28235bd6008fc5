// Package connectors delivers verification codes: by email over SMTP, by
// SMS through an HTTP endpoint, or to the log in development.
//
// Errors are *Error values with a Logto connector code and whether a retry
// could help, so the workers' Retry middleware skips hopeless retries.
package connectors

import (
	"context"
	"time"
)

// Channels a code is sent over.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Templates, named as Logto's connector template types.
const (
	TemplateSignIn          = "SignIn"
	TemplateRegister        = "Register"
	TemplateForgotPassword  = "ForgotPassword"
	TemplateBindMfa         = "BindMfa"
	TemplateMfaVerification = "MfaVerification"
)

// Message is one verification code to deliver.
type Message struct {
	// ID names the send. A call repeated for the same send (a worker that
	// died between the connector's acceptance and recording it) carries
	// the same ID, as the email's Message-ID and the SMS request's
	// Idempotency-Key, so the receiver can drop the repeat.
	ID       string
	Channel  string // ChannelEmail or ChannelSMS
	To       string // an email address or an E.164 phone number
	Code     string
	Template string // one of the Template constants
	// ExpiresIn is how long the code stays valid; zero leaves it unsaid.
	ExpiresIn time.Duration
	// Text, when set, replaces the rendered text (a filled custom message).
	Text string
}

// Sender delivers messages over one channel.
type Sender interface {
	Send(ctx context.Context, m Message) error
}
