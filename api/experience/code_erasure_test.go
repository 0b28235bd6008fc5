package experience_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/codekeys"
)

// A delivered code's data key is erased on disk, not only marked deleted:
// after delivery, no 32 bytes anywhere in the data directory open any
// sealed code of the log. Before delivery the same scan finds every key,
// and after it the key of a send still pending, which keeps the keys'
// block from being dropped whole, so the scan is known to see keys.
func TestDeliveredCodeKeysAreErasedOnDisk(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	srv := apitest.NewServer(t, apitest.Options{Settings: emailSettings(), SMTP: smtp, ManualWorkers: true})
	const sends = 10
	for i := range sends {
		c := srv.Client(t)
		start(t, c, "Register")
		expect(t, sendCode(t, c, "email", fmt.Sprintf("user%d@example.com", i), "Register"), http.StatusOK, "")
	}
	sealed := sealedCodes(t, srv)
	if len(sealed) != sends {
		t.Fatalf("%d sealed codes in the log, want %d", len(sealed), sends)
	}
	keys, err := codekeys.Open(context.Background(), srv.Store.JetStream(), 1)
	if err != nil {
		t.Fatal(err)
	}
	pending := &codekeys.Pending{SendID: "pending", Plain: "123456"}
	if err := keys.Seal(context.Background(), pending, nil); err != nil {
		t.Fatal(err)
	}
	delivered := maps.Clone(sealed)
	sealed[pending.SendID], _ = base64.RawURLEncoding.DecodeString(pending.Sealed)
	deadline := time.Now().Add(5 * time.Second)
	for len(keysOnDisk(t, srv.DataDir(), sealed)) < len(sealed) {
		if time.Now().After(deadline) {
			t.Fatalf("before delivery the scan finds %d of %d keys", len(keysOnDisk(t, srv.DataDir(), sealed)), len(sealed))
		}
		time.Sleep(50 * time.Millisecond)
	}

	srv.StartWorkers(t)
	srv.WaitEvent(t, "interaction.code.sent", sends)
	smtp.WaitMail(t, sends)
	for sendID := range delivered {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if _, err := keys.Get(context.Background(), sendID); errors.Is(err, codekeys.ErrNotFound) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the key of send %s is still in the bucket after delivery", sendID)
			}
		}
	}
	found := keysOnDisk(t, srv.DataDir(), sealed)
	if _, ok := found[pending.SendID]; !ok {
		t.Fatal("the scan does not find the key of the pending send")
	}
	delete(found, pending.SendID)
	if len(found) > 0 {
		t.Fatalf("after delivery, keys of %d sends are still on disk: %v", len(found), found)
	}
}

// sealedCodes maps each send id of the log to its sealed code.
func sealedCodes(t *testing.T, srv *apitest.Server) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := srv.Store.Scan(context.Background(), func(env eventstore.Envelope) error {
		var p struct {
			SendID     string `json:"sendId"`
			SealedCode string `json:"sealedCode"`
		}
		if json.Unmarshal(env.Data, &p) != nil || p.SealedCode == "" {
			return nil
		}
		raw, err := base64.RawURLEncoding.DecodeString(p.SealedCode)
		if err != nil {
			return err
		}
		out[p.SendID] = raw
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// keysOnDisk tries every 32-byte window of every file under dir as the
// AES-256-GCM key of every sealed code, and returns the sends it opens.
func keysOnDisk(t *testing.T, dir string, sealed map[string][]byte) map[string]string {
	t.Helper()
	found := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for off := 0; off+32 <= len(data) && len(found) < len(sealed); off++ {
			block, _ := aes.NewCipher(data[off : off+32])
			aead, _ := cipher.NewGCM(block)
			for sendID, box := range sealed {
				if _, seen := found[sendID]; seen || len(box) < aead.NonceSize() {
					continue
				}
				nonce, ciphertext := box[:aead.NonceSize()], box[aead.NonceSize():]
				if _, err := aead.Open(nil, nonce, ciphertext, []byte(sendID)); err == nil {
					found[sendID] = filepath.Base(path)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
