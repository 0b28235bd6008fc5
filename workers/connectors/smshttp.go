package connectors

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// SMSHTTPConfig configures an SMS gateway reached by a JSON webhook.
type SMSHTTPConfig struct {
	URL string
	// Headers are sent with every request, e.g. Authorization.
	Headers map[string]string
}

// smsRequest is the webhook's body.
type smsRequest struct {
	To      string `json:"to"`
	Code    string `json:"code"`
	Type    string `json:"type"`    // the template
	Message string `json:"message"` // the rendered text
}

const (
	smsDefaultTimeout = 10 * time.Second
	// maxErrorBody is how much of a failed response goes into the error.
	maxErrorBody = 512
)

type smsHTTPSender struct {
	cfg    SMSHTTPConfig
	client *http.Client
}

// NewSMSHTTP returns a Sender that POSTs each message as JSON
// {"to","code","type","message"} to cfg.URL; any status other than 2xx is
// a failure. A nil client means one with a 10s timeout.
func NewSMSHTTP(cfg SMSHTTPConfig, client *http.Client) Sender {
	if client == nil {
		client = &http.Client{Timeout: smsDefaultTimeout}
	}
	return &smsHTTPSender{cfg: cfg, client: client}
}

func (s *smsHTTPSender) Send(ctx context.Context, m Message) error {
	_, text := Render(m)
	body, err := json.Marshal(smsRequest{To: m.To, Code: m.Code, Type: m.Template, Message: text})
	if err != nil {
		return permanent(CodeGeneral, "sms: encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return permanent(CodeInvalidConfig, "sms: %w", err)
	}
	for name, value := range s.cfg.Headers {
		req.Header.Set(name, value)
	}
	req.Header.Set("Content-Type", "application/json")
	if m.ID != "" {
		req.Header.Set("Idempotency-Key", m.ID)
	}

	resp, err := s.client.Do(req)
	if err != nil {
		return transient(CodeGeneral, "sms: %w", err)
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	// Reading the rest lets the connection be reused.
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return classifySMSStatus(resp.StatusCode, excerpt)
}

// classifySMSStatus: the gateway's 4xx are our fault and stay so, except
// 429; 5xx are its own and may pass.
func classifySMSStatus(status int, body []byte) *Error {
	err := fmt.Errorf("sms: gateway answered %d %s: %q", status, http.StatusText(status), body)
	switch {
	case status == http.StatusTooManyRequests:
		return &Error{Code: CodeRateLimitExceeded, Err: err}
	case status >= 500:
		return &Error{Code: CodeGeneral, Err: err}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &Error{Code: CodeInvalidConfig, Permanent: true, Err: err}
	default:
		return &Error{Code: CodeInvalidResponse, Permanent: true, Err: err}
	}
}
