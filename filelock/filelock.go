// Package filelock gives a process exclusive use of a file (a data
// directory, a database): the first to lock it holds it until Close, and
// any other gets ErrLocked naming the holder's pid. The lock is the
// kernel's (flock), so it goes with the process, even after kill -9.
package filelock

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ErrLocked is the error of a lock another process (or another open of the
// file) holds.
var ErrLocked = errors.New("in use by another process")

// Lock is a held lock.
type Lock struct{ f *os.File }

// Acquire locks path, creating it, and writes this process's pid in it.
func Acquire(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := readPID(f)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &HeldError{Path: path, PID: pid}
		}
		return nil, fmt.Errorf("filelock: %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Close releases the lock.
func (l *Lock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Held reports whether another holds path's lock, and its pid (0 if
// unknown), without keeping it.
func Held(path string) (pid int, held bool, err error) {
	l, err := Acquire(path)
	var he *HeldError
	switch {
	case errors.As(err, &he):
		return he.PID, true, nil
	case err != nil:
		return 0, false, err
	}
	return 0, false, l.Close()
}

// HeldError is Acquire's error when the lock is taken; it is ErrLocked.
type HeldError struct {
	Path string
	PID  int // the holder's, 0 if unknown
}

func (e *HeldError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("%s: %v (pid %d)", e.Path, ErrLocked, e.PID)
	}
	return fmt.Sprintf("%s: %v", e.Path, ErrLocked)
}

func (e *HeldError) Unwrap() error { return ErrLocked }

func readPID(f *os.File) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	return pid
}
