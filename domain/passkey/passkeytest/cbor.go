package passkeytest

import (
	"encoding/binary"
	"fmt"
)

// A tiny CBOR encoder (RFC 8949) for the few shapes an authenticator emits.
// It is written out rather than borrowed from the verifier's CBOR library
// so that an encoding bug there cannot hide behind a matching one here.
// Maps are ordered slices, given in CTAP2 canonical key order.

type cborPair struct {
	key, value any
}

type cborMap []cborPair

// attestationObject is {"fmt", "attStmt", "authData"} (W3C §6.5).
type attestationObject struct {
	Format    string
	Statement map[string]any // "alg" and/or "sig", or empty for "none"
	AuthData  []byte
}

func mustCBOR(att attestationObject) []byte {
	var stmt cborMap
	for _, k := range []string{"alg", "sig"} { // canonical: same length, lexical
		if v, ok := att.Statement[k]; ok {
			stmt = append(stmt, cborPair{k, v})
		}
	}
	return encode(nil, cborMap{
		{"fmt", att.Format},
		{"attStmt", stmt},
		{"authData", att.AuthData},
	})
}

// coseKey is the credential public key as a COSE_Key: kty EC2, alg ES256,
// crv P-256, x and y as fixed 32-byte big-endian coordinates.
func (a *Authenticator) coseKey() []byte {
	point, err := a.key.PublicKey.Bytes() // 0x04 || x || y
	if err != nil {
		panic("passkeytest: public key: " + err.Error())
	}
	return encode(nil, cborMap{
		{int64(1), int64(2)},     // kty: EC2
		{int64(3), int64(-7)},    // alg: ES256
		{int64(-1), int64(1)},    // crv: P-256
		{int64(-2), point[1:33]}, // x
		{int64(-3), point[33:]},  // y
	})
}

func encode(dst []byte, v any) []byte {
	switch v := v.(type) {
	case int64:
		if v >= 0 {
			return head(dst, 0, uint64(v))
		}
		return head(dst, 1, uint64(-1-v))
	case []byte:
		return append(head(dst, 2, uint64(len(v))), v...)
	case string:
		return append(head(dst, 3, uint64(len(v))), v...)
	case cborMap:
		dst = head(dst, 5, uint64(len(v)))
		for _, p := range v {
			dst = encode(encode(dst, p.key), p.value)
		}
		return dst
	default:
		panic(fmt.Sprintf("passkeytest: cannot CBOR-encode %T", v))
	}
}

// head writes a major type and its argument in the shortest form.
func head(dst []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(dst, m|byte(n))
	case n <= 0xff:
		return append(dst, m|24, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, m|25), uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(dst, m|26), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(dst, m|27), n)
	}
}
