package oidcprovider

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/authtrail/authtrail/domain/code"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// signingKeys are the ES256 keys that sign ID tokens. They are derived from
// the server's encryption key and a generation number, so every process of
// a cluster signs with the same key without storing one, and no signing key
// is ever written anywhere (not in the log, not on disk). The generation
// is the number of rotation periods since the epoch: a key rotates every
// period, and the previous key stays published for one more period, which
// is longer than any ID token lives (config validation holds that).
type signingKeys struct {
	master []byte
	period time.Duration
	now    func() time.Time

	mu    sync.Mutex
	cache map[int64]*signingKey
}

type signingKey struct {
	id  string
	key *ecdsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is a published key of the JWKS.
type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.id }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return &p.k.key.PublicKey }

func newSigningKeys(master []byte, period time.Duration, now func() time.Time) *signingKeys {
	return &signingKeys{master: master, period: period, now: now, cache: map[int64]*signingKey{}}
}

func (s *signingKeys) generation() int64 { return s.now().UnixNano() / int64(s.period) }

// current is the key that signs now.
func (s *signingKeys) current() (*signingKey, error) { return s.key(s.generation()) }

// published are the current and the previous keys.
func (s *signingKeys) published() ([]op.Key, error) {
	g := s.generation()
	var out []op.Key
	for _, gen := range []int64{g, g - 1} {
		k, err := s.key(gen)
		if err != nil {
			return nil, err
		}
		out = append(out, publicKey{k})
	}
	return out, nil
}

func (s *signingKeys) key(gen int64) (*signingKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.cache[gen]; ok {
		return k, nil
	}
	k, err := deriveSigningKey(s.master, gen)
	if err != nil {
		return nil, err
	}
	for old := range s.cache {
		if old < gen-1 {
			delete(s.cache, old)
		}
	}
	s.cache[gen] = k
	return k, nil
}

// deriveSigningKey makes the P-256 key of a generation: a scalar derived
// from the master key, tried again with a counter in the negligible case
// that it is not below the group order.
func deriveSigningKey(master []byte, gen int64) (*signingKey, error) {
	for try := 0; try < 8; try++ {
		scalar := code.DeriveKey(master, fmt.Sprintf("authtrail oidc signing key v1 %d %d", gen, try))
		priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar)
		if err != nil {
			continue
		}
		pub, err := priv.PublicKey.Bytes()
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(pub)
		return &signingKey{id: "es" + hex.EncodeToString(sum[:8]), key: priv}, nil
	}
	return nil, fmt.Errorf("oidcprovider: no signing key for generation %d", gen)
}
