package code

import "fmt"

// Keyring holds HMAC keys by id: the current key makes new digests, retired
// keys still check digests made before a rotation. It is immutable and safe
// for concurrent use; the code and backup-code hashers share it.
type Keyring struct {
	current string
	keys    map[string][]byte
}

// NewKeyring returns a keyring whose current key is key, recorded as id. It
// panics on a key shorter than MinKeySize: that is a configuration bug.
func NewKeyring(id string, key []byte) Keyring {
	mustKeySize(key)
	return Keyring{current: id, keys: map[string][]byte{id: clone(key)}}
}

// WithRetired returns a copy that also knows an older key; an id the
// keyring already has is left as it is.
func (k Keyring) WithRetired(id string, key []byte) Keyring {
	mustKeySize(key)
	keys := make(map[string][]byte, len(k.keys)+1)
	for kid, kk := range k.keys {
		keys[kid] = kk
	}
	if _, taken := keys[id]; !taken {
		keys[id] = clone(key)
	}
	return Keyring{current: k.current, keys: keys}
}

// Current is the key new digests are made with, and its id.
func (k Keyring) Current() (id string, key []byte) { return k.current, k.keys[k.current] }

// Key finds a key by id.
func (k Keyring) Key(id string) ([]byte, bool) {
	key, ok := k.keys[id]
	return key, ok
}

// Each calls fn for every key, current and retired.
func (k Keyring) Each(fn func(id string, key []byte)) {
	for id, key := range k.keys {
		fn(id, key)
	}
}

func mustKeySize(key []byte) {
	if len(key) < MinKeySize {
		panic(fmt.Sprintf("code: HMAC key has %d bytes, want at least %d", len(key), MinKeySize))
	}
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
