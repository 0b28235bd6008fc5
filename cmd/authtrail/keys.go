package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// keys are the server's secrets: from the config (or environment), or
// generated once and kept in the data dir so restarts keep cookies valid.
type keys struct {
	cookie     []byte
	encryption []byte
}

func loadKeys(cfg Config) (keys, error) {
	var k keys
	var err error
	if k.cookie, err = cfg.Secrets.CookieKeyBytes(); err != nil {
		return k, err
	}
	if k.cookie == nil {
		if k.cookie, err = keptKey(cfg.NATS.DataDir, "cookie.key", 32); err != nil {
			return k, err
		}
	}
	if k.encryption, err = cfg.Secrets.EncryptionKeyBytes(); err != nil {
		return k, err
	}
	if k.encryption == nil {
		if k.encryption, err = keptKey(cfg.NATS.DataDir, "encryption.key", 32); err != nil {
			return k, err
		}
	}
	return k, nil
}

// keptKey reads dir/secrets/name, creating it with size random bytes (mode
// 0600) the first time.
func keptKey(dir, name string, size int) ([]byte, error) {
	path := filepath.Join(dir, "secrets", name)
	if data, err := os.ReadFile(path); err == nil {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
		if err != nil || len(key) < size {
			return nil, fmt.Errorf("secrets: %s is not a base64 key of %d bytes", path, size)
		}
		return key, nil
	} else if !os.IsNotExist(err) {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	key := make([]byte, size)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if os.IsExist(err) { // another process created it first: use theirs
			return keptKey(dir, name, size)
		}
		return nil, fmt.Errorf("secrets: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return key, f.Sync()
}
