package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2 cost parameters. They are written into every digest, so
// they can be raised later without breaking existing digests.
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32 // bytes
	KeyLength   uint32 // bytes
}

// DefaultParams are OWASP's first argon2id recommendation (docs/experience.md, decision 12):
// 19 MiB, 2 passes, 1 lane.
func DefaultParams() Params {
	return Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// Limits that keep a corrupt or hostile digest from making one verify absurdly
// expensive, and that argon2 itself needs.
const (
	maxMemoryKiB  = 4 << 20 // 4 GiB
	maxIterations = 1 << 10
	minSaltLength = 8
	maxSaltLength = 1 << 10
	minKeyLength  = 4
	maxKeyLength  = 1 << 10
)

// Validate reports parameters argon2 cannot use or that exceed the limits.
func (p Params) Validate() error {
	switch {
	case p.Parallelism < 1:
		return errors.New("argon2: parallelism must be at least 1")
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("argon2: iterations must be 1–%d, got %d", maxIterations, p.Iterations)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("argon2: memory must be %d–%d KiB, got %d", 8*uint32(p.Parallelism), maxMemoryKiB, p.Memory)
	case p.SaltLength < minSaltLength || p.SaltLength > maxSaltLength:
		return fmt.Errorf("argon2: salt length must be %d–%d bytes, got %d", minSaltLength, maxSaltLength, p.SaltLength)
	case p.KeyLength < minKeyLength || p.KeyLength > maxKeyLength:
		return fmt.Errorf("argon2: key length must be %d–%d bytes, got %d", minKeyLength, maxKeyLength, p.KeyLength)
	}
	return nil
}

// Digest errors, for errors.Is.
var (
	ErrMalformedDigest   = errors.New("password: malformed digest")
	ErrUnsupportedDigest = errors.New("password: unsupported digest algorithm or version")
)

// Algorithms Verify accepts. Logto's own digests are argon2i; new ones are
// argon2id. x/crypto implements argon2 version 0x13 only.
const (
	algArgon2id = "argon2id"
	algArgon2i  = "argon2i"
)

// digest is a parsed PHC string: $alg$v=19$m=…,t=…,p=…$salt$key.
type digest struct {
	alg    string
	params Params
	salt   []byte
	key    []byte
}

func (d digest) String() string {
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s", d.alg, argon2.Version,
		d.params.Memory, d.params.Iterations, d.params.Parallelism,
		base64.RawStdEncoding.EncodeToString(d.salt), base64.RawStdEncoding.EncodeToString(d.key))
}

// derive computes the key for pw with d's algorithm, parameters and salt.
func (d digest) derive(pw []byte) []byte {
	p := d.params
	if d.alg == algArgon2i {
		return argon2.Key(pw, d.salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	}
	return argon2.IDKey(pw, d.salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
}

func parseDigest(s string) (digest, error) {
	parts := strings.Split(s, "$")
	if len(parts) < 2 || parts[0] != "" {
		return digest{}, ErrMalformedDigest
	}
	d := digest{alg: parts[1]}
	if d.alg != algArgon2id && d.alg != algArgon2i {
		return digest{}, fmt.Errorf("%w: %q", ErrUnsupportedDigest, d.alg)
	}
	// Digests without "v=" are version 0x10, which x/crypto cannot compute.
	if len(parts) != 6 {
		return digest{}, fmt.Errorf("%w: %d fields", ErrMalformedDigest, len(parts))
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return digest{}, fmt.Errorf("%w: version %q", ErrUnsupportedDigest, parts[2])
	}
	if err := parseCost(parts[3], &d.params); err != nil {
		return digest{}, err
	}
	var err error
	if d.salt, err = decodeBase64(parts[4]); err != nil {
		return digest{}, fmt.Errorf("%w: salt: %v", ErrMalformedDigest, err)
	}
	if d.key, err = decodeBase64(parts[5]); err != nil {
		return digest{}, fmt.Errorf("%w: key: %v", ErrMalformedDigest, err)
	}
	d.params.SaltLength = uint32(len(d.salt))
	d.params.KeyLength = uint32(len(d.key))
	if err := d.params.Validate(); err != nil {
		return digest{}, fmt.Errorf("%w: %v", ErrMalformedDigest, err)
	}
	return d, nil
}

// parseCost reads "m=…,t=…,p=…" in that order, as every argon2 encoder writes it.
func parseCost(s string, p *Params) error {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return fmt.Errorf("%w: cost %q", ErrMalformedDigest, s)
	}
	values := make([]uint64, 3)
	for i, name := range []string{"m", "t", "p"} {
		value, ok := strings.CutPrefix(fields[i], name+"=")
		bits := 32
		if name == "p" {
			bits = 8
		}
		n, err := strconv.ParseUint(value, 10, bits)
		if !ok || err != nil {
			return fmt.Errorf("%w: cost %q", ErrMalformedDigest, s)
		}
		values[i] = n
	}
	p.Memory, p.Iterations, p.Parallelism = uint32(values[0]), uint32(values[1]), uint8(values[2])
	return nil
}

// decodeBase64 accepts the PHC form (no padding) and, leniently, padded base64.
func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.StdEncoding.DecodeString(s)
}
