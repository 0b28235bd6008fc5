package code_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/domain/code"
)

func TestGenerateDistribution(t *testing.T) {
	const draws = 20000
	var firstDigit [10]int
	leadingZero := false
	for range draws {
		c, err := code.Generate(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != code.Digits || strings.Trim(c, "0123456789") != "" {
			t.Fatalf("Generate() = %q, want %d digits", c, code.Digits)
		}
		firstDigit[c[0]-'0']++
		leadingZero = leadingZero || c[0] == '0'
	}
	if !leadingZero {
		t.Error("no code with a leading zero in many draws")
	}
	// Each leading digit expects draws/10 = 2000; ±400 is over 9 sigma.
	for d, n := range firstDigit {
		if n < 1600 || n > 2400 {
			t.Errorf("leading digit %d drawn %d times of %d", d, n, draws)
		}
	}
}

func TestGenerateFromReader(t *testing.T) {
	tests := []struct {
		name  string
		bytes []byte
		want  string
	}{
		{"zero", []byte{0, 0, 0, 0}, "000000"},
		{"keeps leading zeros", []byte{0, 0, 0, 42}, "000042"},
		{"reduces modulo a million", []byte{0, 0x0f, 0x42, 0x40}, "000000"},                     // 1,000,000
		{"largest accepted draw", []byte{0xff, 0xf1, 0x3d, 0x7f}, "999999"},                     // 4,293,999,999
		{"rejects the first biased draw", []byte{0xff, 0xf1, 0x3d, 0x80, 0, 0, 0, 7}, "000007"}, // 4,294,000,000
		{"rejects the last biased draw", []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 8}, "000008"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := code.Generate(bytes.NewReader(tt.bytes))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Generate() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGenerateIsDeterministicForAFixedReader(t *testing.T) {
	a, errA := code.Generate(rand.NewChaCha8([32]byte{1}))
	b, errB := code.Generate(rand.NewChaCha8([32]byte{1}))
	if errA != nil || errB != nil || a != b {
		t.Errorf("same seed gave %q (%v) and %q (%v)", a, errA, b, errB)
	}
}

func TestGenerateReportsShortRead(t *testing.T) {
	_, err := code.Generate(bytes.NewReader([]byte{1, 2}))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want io.ErrUnexpectedEOF", err)
	}
}
