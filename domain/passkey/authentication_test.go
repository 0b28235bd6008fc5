package passkey_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain/passkey"
	"github.com/authtrail/authtrail/domain/passkey/passkeytest"
)

func TestAuthenticationOptionsShape(t *testing.T) {
	rp := newRP(t)
	creds := []passkey.Credential{
		{ID: []byte("credential-one-0123456789"), Transports: []string{"internal"}},
		{ID: []byte("credential-two-0123456789")},
	}
	raw, s := beginAuth(t, rp, creds...)
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	challenge, _ := got["challenge"].(string)
	if b, err := base64.RawURLEncoding.DecodeString(challenge); err != nil || len(b) < 16 {
		t.Fatalf("challenge %q: want base64url of at least 16 bytes (err %v)", challenge, err)
	}
	want := map[string]any{
		"challenge": challenge,
		"allowCredentials": []any{
			map[string]any{"type": "public-key", "id": passkey.CredentialIDString(creds[0].ID), "transports": []any{"internal"}},
			map[string]any{"type": "public-key", "id": passkey.CredentialIDString(creds[1].ID)},
		},
		"timeout":          60000.0,
		"userVerification": "required",
		"rpId":             testRPID,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("options\n got %s\nwant %v", raw, want)
	}
	wantSession := passkey.Session{
		Challenge: challenge, UserID: testUser.ID, RPID: testRPID,
		AllowedCredentialIDs: [][]byte{creds[0].ID, creds[1].ID},
		Expires:              t0.Add(passkey.SessionTTL), UserVerification: "required",
	}
	if !reflect.DeepEqual(s, wantSession) {
		t.Fatalf("session %+v, want %+v", s, wantSession)
	}
}

func TestBeginAuthenticationWithoutCredentials(t *testing.T) {
	if _, _, err := newRP(t).BeginAuthentication(testUser, nil, t0); !errors.Is(err, passkey.ErrNoCredentials) {
		t.Fatalf("err = %v, want ErrNoCredentials", err)
	}
}

func TestRoundTrip(t *testing.T) {
	rp := newRP(t)
	a, cred := register(t, rp, testUser)
	_, other := register(t, rp, testUser)
	creds := []passkey.Credential{other, cred}
	for i := uint32(1); i <= 3; i++ {
		opts, s := beginAuth(t, rp, creds...)
		res, err := rp.FinishAuthentication(s, testUser, creds, a.Assert(opts, testOrigin), t0.Add(time.Minute))
		if err != nil {
			t.Fatalf("assertion %d: %v", i, err)
		}
		want := passkey.AuthResult{CredentialID: cred.ID, SignCount: i, UserVerified: true}
		if !reflect.DeepEqual(res, want) {
			t.Fatalf("assertion %d: %+v, want %+v", i, res, want)
		}
		creds[1].SignCount = res.SignCount // the caller stores the new count
	}
}

func TestAuthenticationAcceptsW3CType(t *testing.T) {
	rp := newRP(t)
	a, cred := register(t, rp, testUser)
	a.Type = "public-key"
	opts, s := beginAuth(t, rp, cred)
	if _, err := rp.FinishAuthentication(s, testUser, []passkey.Credential{cred}, a.Assert(opts, testOrigin), t0); err != nil {
		t.Fatal(err)
	}
}

func TestCounterRegressionIsCloneWarning(t *testing.T) {
	tests := []struct {
		name      string
		stored    uint32
		next      uint32 // counter the authenticator reports
		wantCount uint32
		wantClone bool
	}{
		{"advances", 10, 11, 11, false},
		{"goes back", 10, 5, 10, true},
		{"repeats", 10, 10, 10, true},
		{"drops to zero", 10, 0, 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := newRP(t)
			a, cred := register(t, rp, testUser)
			cred.SignCount = tt.stored
			a.SetCounter(tt.next - 1) // Assert increments first (0-1 wraps round to 0)
			opts, s := beginAuth(t, rp, cred)
			res, err := rp.FinishAuthentication(s, testUser, []passkey.Credential{cred}, a.Assert(opts, testOrigin), t0)
			if err != nil {
				t.Fatal(err)
			}
			if res.SignCount != tt.wantCount || res.CloneWarning != tt.wantClone {
				t.Fatalf("got count %d clone %v, want %d %v", res.SignCount, res.CloneWarning, tt.wantCount, tt.wantClone)
			}
		})
	}
}

func TestFinishAuthenticationRejects(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(a *passkeytest.Authenticator)
		origin  string
		tamper  func(t *testing.T, env *authEnv) json.RawMessage
		want    error
		unknown bool
	}{
		{name: "wrong origin", origin: "https://auth.example.com.evil.io", want: passkey.ErrVerification},
		{name: "wrong rpId", setup: func(a *passkeytest.Authenticator) { a.RPID = "example.com" }, want: passkey.ErrVerification},
		{name: "no user verification", setup: func(a *passkeytest.Authenticator) { a.UserNotVerified = true }, want: passkey.ErrVerification},
		{name: "backup eligibility changed", setup: func(a *passkeytest.Authenticator) { a.BackupEligible = true }, want: passkey.ErrVerification},
		{name: "user handle of someone else", setup: func(a *passkeytest.Authenticator) { a.SetUserHandle([]byte("2000")) }, want: passkey.ErrVerification},
		{name: "bad signature", tamper: func(t *testing.T, env *authEnv) json.RawMessage {
			// Authenticator data from a later assertion under the old signature.
			later := env.a.Assert(env.opts, testOrigin)
			return withResponseField(t, env.payload, "authenticatorData", responseField(t, later, "authenticatorData"))
		}, want: passkey.ErrVerification},
		{name: "assertion for another session", tamper: func(t *testing.T, env *authEnv) json.RawMessage {
			otherOpts, _ := beginAuth(t, env.rp, env.cred)
			return env.a.Assert(otherOpts, testOrigin)
		}, want: passkey.ErrVerification},
		{name: "session of another user", tamper: func(_ *testing.T, env *authEnv) json.RawMessage {
			env.user = passkey.User{ID: "2000"}
			return env.payload
		}, want: passkey.ErrVerification},
		{name: "id and rawId differ", tamper: func(t *testing.T, env *authEnv) json.RawMessage {
			return withField(t, env.payload, "id", passkey.CredentialIDString([]byte("0123456789abcdef")))
		}, want: passkey.ErrVerification},
		{name: "credential unknown to the user", tamper: func(t *testing.T, env *authEnv) json.RawMessage {
			return passkeytest.NewAuthenticator().Assert(env.opts, testOrigin)
		}, want: passkey.ErrUnknownCredential, unknown: true},
		{name: "credential removed since begin", tamper: func(_ *testing.T, env *authEnv) json.RawMessage {
			env.creds = []passkey.Credential{env.other}
			return env.payload
		}, want: passkey.ErrUnknownCredential, unknown: true},
		{name: "credential added since begin", tamper: func(t *testing.T, env *authEnv) json.RawMessage {
			env.session.AllowedCredentialIDs = [][]byte{env.other.ID}
			return env.payload
		}, want: passkey.ErrUnknownCredential, unknown: true},
		{name: "expired session", tamper: func(_ *testing.T, env *authEnv) json.RawMessage {
			env.now = env.session.Expires.Add(time.Nanosecond)
			return env.payload
		}, want: passkey.ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newAuthEnv(t)
			if tt.setup != nil {
				tt.setup(env.a)
			}
			origin := tt.origin
			if origin == "" {
				origin = testOrigin
			}
			env.payload = env.a.Assert(env.opts, origin)
			if tt.tamper != nil {
				env.payload = tt.tamper(t, env)
			}
			_, err := env.rp.FinishAuthentication(env.session, env.user, env.creds, env.payload, env.now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			t.Logf("rejected: %v", err)
			if errors.Is(err, passkey.ErrVerification) {
				wantVerification(t, err, tt.unknown)
			}
		})
	}
}

func TestReasonHidesExpectedChallenge(t *testing.T) {
	env := newAuthEnv(t)
	otherOpts, _ := beginAuth(t, env.rp, env.cred)
	_, err := env.rp.FinishAuthentication(env.session, testUser, env.creds, env.a.Assert(otherOpts, testOrigin), env.now)
	var ve *passkey.VerificationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a VerificationError", err)
	}
	if strings.Contains(ve.Reason, env.session.Challenge) || strings.Contains(ve.Reason, "\n") {
		t.Fatalf("reason %q leaks the challenge or spans lines", ve.Reason)
	}
}

func TestSessionValidUntilExpires(t *testing.T) {
	env := newAuthEnv(t)
	payload := env.a.Assert(env.opts, testOrigin)
	if _, err := env.rp.FinishAuthentication(env.session, testUser, env.creds, payload, env.session.Expires); err != nil {
		t.Fatalf("finishing exactly at Expires: %v", err)
	}
}

// authEnv is a user with two registered credentials, the first held by a,
// and a begun authentication ceremony.
type authEnv struct {
	rp          *passkey.RP
	a           *passkeytest.Authenticator
	cred, other passkey.Credential
	creds       []passkey.Credential
	user        passkey.User
	opts        json.RawMessage
	session     passkey.Session
	payload     json.RawMessage
	now         time.Time
}

func newAuthEnv(t *testing.T) *authEnv {
	env := &authEnv{rp: newRP(t), user: testUser, now: t0.Add(time.Minute)}
	env.a, env.cred = register(t, env.rp, testUser)
	_, env.other = register(t, env.rp, testUser)
	env.creds = []passkey.Credential{env.cred, env.other}
	env.opts, env.session = beginAuth(t, env.rp, env.creds...)
	return env
}

func responseField(t *testing.T, payload json.RawMessage, key string) string {
	t.Helper()
	var p struct {
		Response map[string]string `json:"response"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		t.Fatal(err)
	}
	return p.Response[key]
}

func withResponseField(t *testing.T, payload json.RawMessage, key, value string) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	m["response"].(map[string]any)[key] = value
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(out, payload) {
		t.Fatal("tamper changed nothing")
	}
	return out
}

func BenchmarkFinishAuthentication(b *testing.B) {
	rp := newRP(b)
	a, cred := register(b, rp, testUser)
	creds := []passkey.Credential{cred}
	opts, s := beginAuth(b, rp, creds...)
	payload := a.Assert(opts, testOrigin)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rp.FinishAuthentication(s, testUser, creds, payload, t0); err != nil {
			b.Fatal(err)
		}
	}
}
