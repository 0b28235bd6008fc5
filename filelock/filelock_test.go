package filelock_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/authtrail/authtrail/filelock"
)

func TestASecondHolderIsRefusedWithTheFirstsPID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	first, err := filelock.Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = filelock.Acquire(path)
	var held *filelock.HeldError
	if !errors.As(err, &held) || !errors.Is(err, filelock.ErrLocked) || held.PID != os.Getpid() {
		t.Fatalf("second acquire: %v, want ErrLocked with pid %d", err, os.Getpid())
	}
	if pid, ok, err := filelock.Held(path); err != nil || !ok || pid != os.Getpid() {
		t.Fatalf("Held: %d %v %v", pid, ok, err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := filelock.Held(path); err != nil || ok {
		t.Fatalf("Held after Close: %v %v", ok, err)
	}
	again, err := filelock.Acquire(path)
	if err != nil {
		t.Fatalf("acquire after Close: %v", err)
	}
	_ = again.Close()
}
