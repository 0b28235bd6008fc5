package password

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Breached answers the pwned rule from a local list (docs/experience.md, decision 10): no
// network call, unlike Logto's HaveIBeenPwned lookup.
type Breached interface {
	Contains(password string) bool
}

// breachedList holds digests sorted for binary search (20 bytes each, so a
// large list stays compact) and plain passwords in a set.
type breachedList struct {
	digests [][sha1.Size]byte
	plain   map[string]struct{}
}

// LoadBreachedList reads the list file named by rejects.breachedListFile.
func LoadBreachedList(path string) (Breached, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("password: breached list: %w", err)
	}
	defer f.Close()
	list, err := ParseBreachedList(f)
	if err != nil {
		return nil, fmt.Errorf("password: breached list %s: %w", path, err)
	}
	return list, nil
}

// ParseBreachedList reads one entry per line: a SHA-1 hex digest (any case,
// optionally followed by ":count" as in HaveIBeenPwned downloads) or a plain
// password. Lines are trimmed; blank lines and lines starting with # are skipped.
func ParseBreachedList(r io.Reader) (Breached, error) {
	list := &breachedList{plain: map[string]struct{}{}}
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64*1024), 1<<20)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if digest, ok := parseSHA1Line(line); ok {
			list.digests = append(list.digests, digest)
			continue
		}
		list.plain[line] = struct{}{}
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(list.digests, func(a, b [sha1.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	list.digests = slices.Compact(list.digests)
	return list, nil
}

func parseSHA1Line(line string) (digest [sha1.Size]byte, ok bool) {
	hexPart, count, hasCount := strings.Cut(line, ":")
	if len(hexPart) != 2*sha1.Size || (hasCount && !isDecimal(count)) {
		return digest, false
	}
	if _, err := hex.Decode(digest[:], []byte(hexPart)); err != nil {
		return digest, false
	}
	return digest, true
}

func isDecimal(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func (l *breachedList) Contains(password string) bool {
	if _, ok := l.plain[password]; ok {
		return true
	}
	sum := sha1.Sum([]byte(password))
	_, found := slices.BinarySearchFunc(l.digests, sum, func(a, b [sha1.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	return found
}
