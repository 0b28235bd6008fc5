package passkey_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain/passkey"
	"github.com/authtrail/authtrail/domain/passkey/passkeytest"
)

const (
	testRPID   = "auth.example.com"
	testOrigin = "https://auth.example.com"
)

var (
	t0       = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	testUser = passkey.User{ID: "1042", Name: "john", DisplayName: "John Doe"}
)

func newRP(tb testing.TB) *passkey.RP {
	tb.Helper()
	rp, err := passkey.New(passkey.Config{RPID: testRPID, Origins: []string{testOrigin}})
	if err != nil {
		tb.Fatal(err)
	}
	return rp
}

// register runs a full registration ceremony for a fresh authenticator.
func register(tb testing.TB, rp *passkey.RP, u passkey.User) (*passkeytest.Authenticator, passkey.Credential) {
	tb.Helper()
	a := passkeytest.NewAuthenticator()
	return a, registerWith(tb, rp, u, a)
}

func registerWith(tb testing.TB, rp *passkey.RP, u passkey.User, a *passkeytest.Authenticator) passkey.Credential {
	tb.Helper()
	opts, s, err := rp.BeginRegistration(u, nil, t0)
	if err != nil {
		tb.Fatal(err)
	}
	cred, err := rp.FinishRegistration(s, a.Register(opts, testOrigin), t0.Add(time.Second))
	if err != nil {
		tb.Fatalf("FinishRegistration: %v", err)
	}
	return cred
}

func beginAuth(tb testing.TB, rp *passkey.RP, creds ...passkey.Credential) (json.RawMessage, passkey.Session) {
	tb.Helper()
	opts, s, err := rp.BeginAuthentication(testUser, creds, t0)
	if err != nil {
		tb.Fatal(err)
	}
	return opts, s
}

// wantVerification asserts err is a verification failure (and, if unknown,
// an unknown-credential one) with a reason a client can be shown.
func wantVerification(t *testing.T, err error, unknown bool) {
	t.Helper()
	if !errors.Is(err, passkey.ErrVerification) {
		t.Fatalf("err = %v, want ErrVerification", err)
	}
	if got := errors.Is(err, passkey.ErrUnknownCredential); got != unknown {
		t.Fatalf("errors.Is(err, ErrUnknownCredential) = %v, want %v (err %v)", got, unknown, err)
	}
	var ve *passkey.VerificationError
	if !errors.As(err, &ve) || ve.Reason == "" {
		t.Fatalf("err %v carries no reason", err)
	}
}

// withField returns payload with a top-level member replaced.
func withField(t *testing.T, payload json.RawMessage, key string, value any) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	m[key] = value
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
