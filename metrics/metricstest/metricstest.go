// Package metricstest scrapes a /metrics endpoint over HTTP and reads the
// samples of the Prometheus text format, for tests that watch series move.
package metricstest

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Sample is one line of the exposition: a series and its value.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Samples is a scrape.
type Samples []Sample

// Scrape GETs url and parses the answer; a non-200 answer or a line it
// cannot read fails the test.
func Scrape(t testing.TB, url string) Samples {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("metricstest: GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metricstest: GET %s: status %d", url, resp.StatusCode)
	}
	samples, err := Parse(resp.Body)
	if err != nil {
		t.Fatalf("metricstest: %s: %v", url, err)
	}
	return samples
}

// Parse reads the Prometheus text format (comments skipped).
func Parse(r io.Reader) (Samples, error) {
	var out Samples
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseLine(line)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, scanner.Err()
}

func parseLine(line string) (Sample, error) {
	s := Sample{Labels: map[string]string{}}
	rest := line
	if i := strings.IndexAny(line, "{ "); i >= 0 && line[i] == '{' {
		s.Name = line[:i]
		end, err := parseLabels(line[i+1:], s.Labels)
		if err != nil {
			return s, &lineError{line, err.Error()}
		}
		rest = line[i+1+end:]
	} else if i >= 0 {
		s.Name, rest = line[:i], line[i:]
	}
	fields := strings.Fields(rest)
	if s.Name == "" || len(fields) == 0 {
		return s, &lineError{line, "want a name and a value"}
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, &lineError{line, err.Error()}
	}
	s.Value = v
	return s, nil
}

// parseLabels reads k="v",... up to the closing brace into labels and
// returns the index just past it.
func parseLabels(text string, labels map[string]string) (int, error) {
	i := 0
	for {
		if i < len(text) && text[i] == '}' {
			return i + 1, nil
		}
		eq := strings.IndexByte(text[i:], '=')
		if eq < 0 || i+eq+1 >= len(text) || text[i+eq+1] != '"' {
			return 0, errSyntax
		}
		name := strings.TrimSpace(text[i : i+eq])
		i += eq + 2
		var value strings.Builder
		for ; i < len(text) && text[i] != '"'; i++ {
			if text[i] == '\\' && i+1 < len(text) {
				i++
				switch text[i] {
				case 'n':
					value.WriteByte('\n')
				default:
					value.WriteByte(text[i])
				}
				continue
			}
			value.WriteByte(text[i])
		}
		if i >= len(text) {
			return 0, errSyntax
		}
		labels[name] = value.String()
		i++ // the closing quote
		if i < len(text) && text[i] == ',' {
			i++
		}
	}
}

// Sum adds the values of the samples of name whose labels include the
// given name, value pairs ("route", "/healthz", ...).
func (s Samples) Sum(name string, labelPairs ...string) float64 {
	total := 0.0
	for _, sample := range s.Matching(name, labelPairs...) {
		total += sample.Value
	}
	return total
}

// Has reports whether any sample of name carries the given labels.
func (s Samples) Has(name string, labelPairs ...string) bool {
	return len(s.Matching(name, labelPairs...)) > 0
}

// Matching lists the samples of name whose labels include labelPairs.
func (s Samples) Matching(name string, labelPairs ...string) Samples {
	var out Samples
	for _, sample := range s {
		if sample.Name != name {
			continue
		}
		match := true
		for i := 0; i+1 < len(labelPairs); i += 2 {
			if sample.Labels[labelPairs[i]] != labelPairs[i+1] {
				match = false
				break
			}
		}
		if match {
			out = append(out, sample)
		}
	}
	return out
}

type lineError struct{ line, why string }

func (e *lineError) Error() string { return "metricstest: " + e.why + ": " + e.line }

var errSyntax = &lineError{why: "malformed labels"}
