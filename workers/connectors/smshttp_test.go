package connectors_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authtrail/authtrail/workers/connectors"
)

var mfaSMS = connectors.Message{
	ID: "send2", Channel: connectors.ChannelSMS, To: "+15551234567", Code: "654321",
	Template: connectors.TemplateMfaVerification, ExpiresIn: 5 * time.Minute,
}

func TestSMSHTTPPostsJSONWithHeaders(t *testing.T) {
	type request struct {
		method, contentType, auth, idempotencyKey string
		body                                      map[string]string
	}
	got := make(chan request, 1)
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := request{method: r.Method, contentType: r.Header.Get("Content-Type"), auth: r.Header.Get("Authorization"),
			idempotencyKey: r.Header.Get("Idempotency-Key")}
		if err := json.NewDecoder(r.Body).Decode(&req.body); err != nil {
			t.Errorf("decode body: %v", err)
		}
		got <- req
		w.WriteHeader(http.StatusAccepted)
	}))
	defer gateway.Close()

	sender := connectors.NewSMSHTTP(connectors.SMSHTTPConfig{
		URL: gateway.URL + "/send", Headers: map[string]string{"Authorization": "Bearer token-1"},
	}, gateway.Client())
	if err := sender.Send(testContext(t), mfaSMS); err != nil {
		t.Fatalf("send: %v", err)
	}
	req := <-got
	_, text := connectors.Render(mfaSMS)
	want := map[string]string{"to": mfaSMS.To, "code": mfaSMS.Code, "type": mfaSMS.Template, "message": text}
	if req.method != http.MethodPost || req.contentType != "application/json" || req.auth != "Bearer token-1" {
		t.Errorf("request %s, content type %q, authorization %q", req.method, req.contentType, req.auth)
	}
	if req.idempotencyKey != mfaSMS.ID {
		t.Errorf("Idempotency-Key %q, want the send id", req.idempotencyKey)
	}
	if len(req.body) != len(want) {
		t.Errorf("body %v, want %v", req.body, want)
	}
	for key, value := range want {
		if req.body[key] != value {
			t.Errorf("body %s = %q, want %q", key, req.body[key], value)
		}
	}
}

func TestSMSHTTPFailures(t *testing.T) {
	for _, tc := range []struct {
		status    int
		code      string
		permanent bool
	}{
		{http.StatusInternalServerError, connectors.CodeGeneral, false},
		{http.StatusBadGateway, connectors.CodeGeneral, false},
		{http.StatusTooManyRequests, connectors.CodeRateLimitExceeded, false},
		{http.StatusBadRequest, connectors.CodeInvalidResponse, true},
		{http.StatusUnprocessableEntity, connectors.CodeInvalidResponse, true},
		{http.StatusUnauthorized, connectors.CodeInvalidConfig, true},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "nope", tc.status)
			}))
			defer gateway.Close()
			err := connectors.NewSMSHTTP(connectors.SMSHTTPConfig{URL: gateway.URL}, nil).Send(testContext(t), mfaSMS)
			checkError(t, err, tc.code, tc.permanent)
		})
	}
}

func TestSMSHTTPUnreachableIsTransient(t *testing.T) {
	gateway := httptest.NewServer(http.NotFoundHandler())
	url := gateway.URL
	gateway.Close()
	err := connectors.NewSMSHTTP(connectors.SMSHTTPConfig{URL: url}, nil).Send(testContext(t), mfaSMS)
	checkError(t, err, connectors.CodeGeneral, false)
}

func TestSMSHTTPBadURLIsAConfigError(t *testing.T) {
	err := connectors.NewSMSHTTP(connectors.SMSHTTPConfig{URL: "://nowhere"}, nil).Send(testContext(t), mfaSMS)
	checkError(t, err, connectors.CodeInvalidConfig, true)
}
