package passkey_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain/passkey"
	"github.com/authtrail/authtrail/domain/passkey/passkeytest"
)

func TestRegistrationOptionsShape(t *testing.T) {
	rp := newRP(t)
	existing := []passkey.Credential{
		{ID: []byte("credential-one-0123456789"), Transports: []string{"internal", "hybrid"}},
		{ID: []byte("credential-two-0123456789")},
	}
	raw, s, err := rp.BeginRegistration(testUser, existing, t0)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	challenge, _ := got["challenge"].(string)
	if b, err := base64.RawURLEncoding.DecodeString(challenge); err != nil || len(b) < 16 {
		t.Fatalf("challenge %q: want base64url of at least 16 bytes (err %v)", challenge, err)
	}
	want := map[string]any{
		"rp":        map[string]any{"name": testRPID, "id": testRPID},
		"user":      map[string]any{"id": base64.RawURLEncoding.EncodeToString([]byte("1042")), "name": "john", "displayName": "John Doe"},
		"challenge": challenge,
		"pubKeyCredParams": []any{
			map[string]any{"type": "public-key", "alg": -7.0},
			map[string]any{"type": "public-key", "alg": -257.0},
		},
		"timeout":     60000.0,
		"attestation": "none",
		"excludeCredentials": []any{
			map[string]any{"type": "public-key", "id": passkey.CredentialIDString(existing[0].ID), "transports": []any{"internal", "hybrid"}},
			map[string]any{"type": "public-key", "id": passkey.CredentialIDString(existing[1].ID)},
		},
		"authenticatorSelection": map[string]any{"residentKey": "required", "requireResidentKey": true, "userVerification": "required"},
		"extensions":             map[string]any{"credProps": true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("options\n got %s\nwant %v", raw, want)
	}
	wantSession := passkey.Session{
		Challenge: challenge, UserID: "1042", RPID: testRPID,
		Expires: t0.Add(5 * time.Minute), UserVerification: "required",
	}
	if !reflect.DeepEqual(s, wantSession) {
		t.Fatalf("session %+v, want %+v", s, wantSession)
	}
}

func TestRegistrationOptionsDefaults(t *testing.T) {
	raw, _, err := newRP(t).BeginRegistration(passkey.User{ID: "7"}, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	var got passkey.RegistrationOptions
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.User.Name != passkey.UnnamedUser || got.User.DisplayName != passkey.UnnamedUser {
		t.Errorf("user = %+v, want the %q fallbacks", got.User, passkey.UnnamedUser)
	}
	if !bytes.Contains(raw, []byte(`"excludeCredentials":[]`)) {
		t.Errorf("excludeCredentials must be an empty array, got %s", raw)
	}
}

func TestRegistrationRoundTrip(t *testing.T) {
	for _, packed := range []bool{false, true} {
		rp := newRP(t)
		a := passkeytest.NewAuthenticator()
		a.PackedAttestation = packed
		a.BackupEligible, a.BackupState = true, true
		cred := registerWith(t, rp, testUser, a)
		if !bytes.Equal(cred.ID, a.CredentialID()) || len(cred.PublicKey) == 0 {
			t.Fatalf("packed=%v: credential %+v does not match the authenticator", packed, cred)
		}
		if !bytes.Equal(cred.AAGUID, a.AAGUID()) || !cred.BackupEligible || !cred.BackupState {
			t.Errorf("packed=%v: AAGUID/backup flags not kept: %+v", packed, cred)
		}
		if !reflect.DeepEqual(cred.Transports, []string{"internal"}) {
			t.Errorf("packed=%v: transports = %v", packed, cred.Transports)
		}
		// go-webauthn names self attestation by its metadata type.
		wantType := map[bool]string{false: "none", true: "basic_surrogate"}[packed]
		if cred.AttestationType != wantType {
			t.Errorf("packed=%v: attestation type %q, want %q", packed, cred.AttestationType, wantType)
		}
	}
}

func TestFinishRegistrationRejects(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*passkeytest.Authenticator)
		// tamper changes the payload or session after the ceremony.
		origin string
		tamper func(t *testing.T, p json.RawMessage, s *passkey.Session) json.RawMessage
		want   error
	}{
		{name: "wrong origin", origin: "https://evil.example.com", want: passkey.ErrVerification},
		{name: "wrong rpId", setup: func(a *passkeytest.Authenticator) { a.RPID = "evil.example.com" }, want: passkey.ErrVerification},
		{name: "no user verification", setup: func(a *passkeytest.Authenticator) { a.UserNotVerified = true }, want: passkey.ErrVerification},
		{name: "no user presence", setup: func(a *passkeytest.Authenticator) { a.UserNotPresent = true }, want: passkey.ErrVerification},
		{name: "backup state without eligibility", setup: func(a *passkeytest.Authenticator) { a.BackupState = true }, want: passkey.ErrVerification},
		{name: "challenge of another ceremony", setup: func(a *passkeytest.Authenticator) {
			a.Challenge = base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
		}, want: passkey.ErrVerification},
		{name: "unknown type", tamper: func(t *testing.T, p json.RawMessage, _ *passkey.Session) json.RawMessage {
			return withField(t, p, "type", "password")
		}, want: passkey.ErrVerification},
		{name: "not JSON", tamper: func(*testing.T, json.RawMessage, *passkey.Session) json.RawMessage {
			return json.RawMessage(`"nope"`)
		}, want: passkey.ErrVerification},
		{name: "session of another RP", tamper: func(_ *testing.T, p json.RawMessage, s *passkey.Session) json.RawMessage {
			s.RPID = "other.example.com"
			return p
		}, want: passkey.ErrVerification},
		{name: "expired session", tamper: func(_ *testing.T, p json.RawMessage, s *passkey.Session) json.RawMessage {
			s.Expires = t0
			return p
		}, want: passkey.ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := newRP(t)
			a := passkeytest.NewAuthenticator()
			if tt.setup != nil {
				tt.setup(a)
			}
			origin := tt.origin
			if origin == "" {
				origin = testOrigin
			}
			opts, s, err := rp.BeginRegistration(testUser, nil, t0)
			if err != nil {
				t.Fatal(err)
			}
			payload := a.Register(opts, origin)
			if tt.tamper != nil {
				payload = tt.tamper(t, payload, &s)
			}
			_, err = rp.FinishRegistration(s, payload, t0.Add(time.Second))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			t.Logf("rejected: %v", err)
			if tt.want == passkey.ErrVerification {
				wantVerification(t, err, false)
			}
		})
	}
}

func TestRegistrationAcceptsW3CType(t *testing.T) {
	rp := newRP(t)
	a := passkeytest.NewAuthenticator()
	a.Type = "public-key"
	registerWith(t, rp, testUser, a)
}

func TestSessionSurvivesJSON(t *testing.T) {
	rp := newRP(t)
	a := passkeytest.NewAuthenticator()
	opts, s, err := rp.BeginRegistration(testUser, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var loaded passkey.Session
	if err := json.Unmarshal(stored, &loaded); err != nil {
		t.Fatal(err)
	}
	if _, err := rp.FinishRegistration(loaded, a.Register(opts, testOrigin), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	for _, cfg := range []passkey.Config{
		{Origins: []string{testOrigin}},
		{RPID: testRPID},
		{RPID: "not a domain!", Origins: []string{testOrigin}},
	} {
		if _, err := passkey.New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
	rp, err := passkey.New(passkey.Config{RPID: "localhost", Origins: []string{"http://localhost:3001"}})
	if err != nil {
		t.Fatal(err)
	}
	if c := rp.Config(); c.RPName != "localhost" || c.Timeout != passkey.DefaultTimeout {
		t.Errorf("defaults not applied: %+v", c)
	}
	if _, _, err := rp.BeginRegistration(passkey.User{}, nil, t0); err == nil {
		t.Error("empty user id accepted")
	}
}
