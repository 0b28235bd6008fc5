package onelogin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore"
)

// The factor ids of the SMS and Email tests' config.
const (
	mfaAuthenticatorID = 58957
	mfaSMSID           = 58959
	mfaEmailID         = 58961
)

var mfaCodeFactors = []mfaapi.Factor{
	{ID: mfaAuthenticatorID, Name: "Authenticator", AuthFactorName: "Google Authenticator", Kind: mfaapi.KindTotp},
	{ID: mfaSMSID, Name: "OneLogin SMS", AuthFactorName: "SMS", Kind: mfaapi.KindSMS},
	{ID: mfaEmailID, Name: "OneLogin Email", AuthFactorName: "OneLogin Email", Kind: mfaapi.KindEmail},
}

// mfaSMSSink is the SMS connector's HTTP endpoint: it keeps the JSON
// messages ({to, code, type, message}).
type mfaSMSSink struct {
	mu       sync.Mutex
	messages []map[string]string
}

func (s *mfaSMSSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var m map[string]string
	_ = json.Unmarshal(body, &m)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
}

func (s *mfaSMSSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.messages)
}

// wait returns the n-th message (1-based) once it arrived.
func (s *mfaSMSSink) wait(t *testing.T, n int) map[string]string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		s.mu.Lock()
		if len(s.messages) >= n {
			m := s.messages[n-1]
			s.mu.Unlock()
			return m
		}
		s.mu.Unlock()
	}
	t.Fatalf("%d SMS arrived, want %d", s.count(), n)
	return nil
}

// mfaCodeEnv is the whole server with its delivery worker, an SMS webhook
// and an SMTP server (apitest.NewServer), with a manage_all token.
type mfaCodeEnv struct {
	*mfaEnv
	srv  *apitest.Server
	sms  *mfaSMSSink
	smtp *apitest.SMTPServer
}

func mfaNewCodeEnv(t *testing.T) *mfaCodeEnv {
	t.Helper()
	sms := &mfaSMSSink{}
	hook := httptest.NewServer(sms)
	t.Cleanup(hook.Close)
	smtp := apitest.NewSMTPServer(t)
	sie := usersSettings()
	sie.MFA = settings.MFA{Factors: []string{"Totp", "PhoneVerificationCode", "EmailVerificationCode"}, Policy: "UserControlled"}
	srv := apitest.NewServer(t, apitest.Options{Settings: sie, SMTP: smtp, SMSURL: hook.URL,
		APIClients: authClients, MFAFactors: mfaCodeFactors})
	e := &mfaCodeEnv{mfaEnv: &mfaEnv{t: t, store: srv.Store, clock: srv.Clock, url: srv.URL}, srv: srv, sms: sms, smtp: smtp}
	e.token = e.tokenFor("admin", "admin-secret")
	return e
}

// userWithPhone creates a user with an email and a phone.
func (e *mfaCodeEnv) userWithPhone(name, phone string) int64 {
	e.t.Helper()
	res := e.raw(http.MethodPost, "/api/2/users", http.Header{"Authorization": {"Bearer " + e.token}},
		`{"username":"`+name+`","email":"`+name+`@example.com","phone":"`+phone+`","password":"`+usersGoodPassword+`","password_confirmation":"`+usersGoodPassword+`"}`)
	if res.status != http.StatusCreated {
		e.t.Fatalf("create user: %d %s", res.status, res.body)
	}
	return *usersDecodeSDK(e.t, res.body).ID
}

// register starts a registration of factorID and decodes it strictly.
func (e *mfaCodeEnv) register(uid int64, factorID int, extra map[string]any) sdkRegistration {
	e.t.Helper()
	body := map[string]any{"factor_id": factorID, "display_name": "My device"}
	for k, v := range extra {
		body[k] = v
	}
	var reg sdkRegistration
	mfaStrict(e.t, e.call(http.MethodPost, uid, "/registrations", body), http.StatusCreated, &reg)
	if reg.FactorData.TotpURL != "" {
		e.t.Fatalf("an SMS or Email registration with a totp_url: %+v", reg)
	}
	return reg
}

// confirm answers a registration with otp (as a JSON number when it is digits).
func (e *mfaCodeEnv) confirm(uid int64, regID, otp string) sdkStatus {
	e.t.Helper()
	var body any = otp
	if n, err := strconv.Atoi(otp); err == nil {
		body = n
	}
	var st sdkStatus
	mfaStrict(e.t, e.call(http.MethodPut, uid, "/registrations/"+regID, map[string]any{"otp": body}), http.StatusOK, &st)
	return st
}

// other is a 6-digit code that is not c.
func other(c string) string {
	if c == "111111" {
		return "222222"
	}
	return "111111"
}

// events are the stream's events of a type, in order.
func (e *mfaCodeEnv) events(eventType string) []string {
	e.t.Helper()
	ctx := context.Background()
	stream, err := e.store.JetStream().Stream(ctx, eventstore.DefaultStream)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		msg, err := stream.GetMsg(ctx, seq)
		if err != nil {
			e.t.Fatal(err)
		}
		if eventType == "" || msg.Header.Get("Ev-Type") == eventType {
			raw := string(msg.Data)
			for k, v := range msg.Header {
				raw += " " + k + ":" + strings.Join(v, ",")
			}
			out = append(out, raw)
		}
	}
	return out
}
