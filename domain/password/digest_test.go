package password_test

import (
	"context"
	"errors"
	"testing"

	"github.com/authtrail/authtrail/domain/password"
)

// Known answers from the argon2 reference implementation's tests
// (P-H-C/phc-winner-argon2, src/test.c), salt "somesalt".
var referenceDigests = []struct {
	name, pw, digest string
	want             bool
}{
	{"argon2i", "password", "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8", true},
	{"argon2id", "password", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", true},
	{"argon2id p=2", "password", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc", true},
	{"argon2i p=2", "password", "$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E", true},
	{"padded base64", "password", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ=$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4=", true},
	{"wrong password", "Password", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", false},
	{"argon2i is not argon2id", "password", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8", false},
}

func TestVerifyReferenceDigests(t *testing.T) {
	h := password.NewHasherWithParams(cheapParams, 1, nil)
	for _, tt := range referenceDigests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(context.Background(), tt.pw, tt.digest)
			if err != nil || ok != tt.want {
				t.Errorf("Verify = %v, %v; want %v, nil", ok, err, tt.want)
			}
		})
	}
}

func TestVerifyRejectsBadDigests(t *testing.T) {
	const salt, key = "c29tZXNhbHQ", "nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	tests := []struct {
		name, digest string
		want         error
	}{
		{"empty", "", password.ErrMalformedDigest},
		{"not phc", "not-an-argon2-string", password.ErrMalformedDigest},
		{"bcrypt", "$2b$12$KIXQJ1rKqvYV8m1b2u3eUe", password.ErrUnsupportedDigest},
		{"argon2d", "$argon2d$v=19$m=256,t=2,p=1$" + salt + "$" + key, password.ErrUnsupportedDigest},
		{"version 0x10", "$argon2i$v=16$m=256,t=2,p=1$" + salt + "$" + key, password.ErrUnsupportedDigest},
		{"no version", "$argon2i$m=256,t=2,p=1$" + salt + "$" + key, password.ErrMalformedDigest},
		{"only the algorithm", "$argon2id$", password.ErrMalformedDigest},
		{"bad memory", "$argon2id$v=19$m=banana,t=2,p=1$" + salt + "$" + key, password.ErrMalformedDigest},
		{"cost out of order", "$argon2id$v=19$t=2,m=256,p=1$" + salt + "$" + key, password.ErrMalformedDigest},
		{"zero iterations", "$argon2id$v=19$m=256,t=0,p=1$" + salt + "$" + key, password.ErrMalformedDigest},
		{"zero lanes", "$argon2id$v=19$m=256,t=2,p=0$" + salt + "$" + key, password.ErrMalformedDigest},
		{"lanes over 255", "$argon2id$v=19$m=256,t=2,p=256$" + salt + "$" + key, password.ErrMalformedDigest},
		{"memory too large", "$argon2id$v=19$m=4294967295,t=2,p=1$" + salt + "$" + key, password.ErrMalformedDigest},
		{"empty salt and key", "$argon2id$v=19$m=65536,t=2,p=1$$", password.ErrMalformedDigest},
		{"short salt", "$argon2id$v=19$m=256,t=2,p=1$c29tZQ$" + key, password.ErrMalformedDigest},
		{"short key", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$AAAA", password.ErrMalformedDigest},
		{"bad base64", "$argon2id$v=19$m=256,t=2,p=1$!!!invalid!!!$" + key, password.ErrMalformedDigest},
		{"extra field", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$" + key + "$x", password.ErrMalformedDigest},
	}
	h := password.NewHasherWithParams(cheapParams, 1, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := h.Verify(context.Background(), "password", tt.digest)
			if ok || !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, %v; want false, %v", ok, err, tt.want)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	h := password.NewHasher(0, nil) // m=19456, t=2, p=1, 16-byte salt, 32-byte key
	const salt16 = "AAAAAAAAAAAAAAAAAAAAAA"
	const key32 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := []struct {
		name, digest string
		want         bool
	}{
		{"current", "$argon2id$v=19$m=19456,t=2,p=1$" + salt16 + "$" + key32, false},
		{"stronger", "$argon2id$v=19$m=65536,t=3,p=4$" + salt16 + "$" + key32, false},
		{"less memory", "$argon2id$v=19$m=8192,t=2,p=1$" + salt16 + "$" + key32, true},
		{"fewer passes", "$argon2id$v=19$m=19456,t=1,p=1$" + salt16 + "$" + key32, true},
		{"short salt", "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$" + key32, true},
		{"short key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt16 + "$AAAAAAAAAAAAAAAAAAAAAA", true},
		{"logto argon2i", "$argon2i$v=19$m=65536,t=8,p=1$" + salt16 + "$" + key32, true},
		{"malformed", "md5:abc", true},
	}
	for _, tt := range tests {
		if got := h.NeedsRehash(tt.digest); got != tt.want {
			t.Errorf("%s: NeedsRehash = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name    string
		params  password.Params
		wantErr bool
	}{
		{"default", password.DefaultParams(), false},
		{"cheap", cheapParams, false},
		{"no lanes", password.Params{Memory: 64, Iterations: 1, SaltLength: 16, KeyLength: 32}, true},
		{"no passes", password.Params{Memory: 64, Parallelism: 1, SaltLength: 16, KeyLength: 32}, true},
		{"memory below 8 per lane", password.Params{Memory: 15, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}, true},
		{"salt under 8 bytes", password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 7, KeyLength: 32}, true},
		{"key under 4 bytes", password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 3}, true},
	}
	for _, tt := range tests {
		if err := tt.params.Validate(); (err != nil) != tt.wantErr {
			t.Errorf("%s: Validate() = %v, wantErr %v", tt.name, err, tt.wantErr)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("NewHasherWithParams accepted invalid params")
		}
	}()
	password.NewHasherWithParams(password.Params{}, 1, nil)
}
