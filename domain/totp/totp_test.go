package totp_test

import (
	"bytes"
	"encoding/base32"
	"errors"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/pquerna/otp"
	potp "github.com/pquerna/otp/totp"

	"github.com/authtrail/authtrail/domain/totp"
)

// rfcSecret is the RFC 6238 Appendix B SHA-1 seed "12345678901234567890".
var rfcSecret = base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))

// RFC 6238 Appendix B, SHA-1 column (8 digits).
var rfcVectors = []struct {
	unix int64
	code string
}{
	{59, "94287082"},
	{1111111109, "07081804"},
	{1111111111, "14050471"},
	{1234567890, "89005924"},
	{2000000000, "69279037"},
	{20000000000, "65353130"},
}

func TestRFC6238Vectors(t *testing.T) {
	for _, v := range rfcVectors {
		at := time.Unix(v.unix, 0)
		// A 6-digit code is the 8-digit one modulo 10^6: its last six digits.
		got, err := totp.Code(rfcSecret, at)
		if err != nil {
			t.Fatal(err)
		}
		if want := v.code[2:]; got != want {
			t.Errorf("Code(%d) = %s, want %s", v.unix, got, want)
		}
		// The full 8-digit vector, computed at the first instant of Step(at),
		// checks that Step lands on the counter the RFC uses.
		stepStart := time.Unix(int64(totp.Step(at))*totp.Period, 0)
		eight, err := potp.GenerateCodeCustom(rfcSecret, stepStart, potp.ValidateOpts{
			Period: totp.Period, Digits: otp.DigitsEight, Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil || eight != v.code {
			t.Errorf("8 digits at step %d = %s (%v), want %s", totp.Step(at), eight, err, v.code)
		}
		if step, ok := totp.Match(rfcSecret, got, at); !ok || step != uint64(v.unix/30) {
			t.Errorf("Match(%s, %d) = %d, %v", got, v.unix, step, ok)
		}
	}
}

func codeOfStep(t *testing.T, secret string, step uint64) string {
	t.Helper()
	c, err := totp.Code(secret, time.Unix(int64(step)*totp.Period, 0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMatchWindow(t *testing.T) {
	now := time.Unix(1_700_000_017, 0)
	cur := totp.Step(now)
	if cur != 1_700_000_017/30 {
		t.Fatalf("Step = %d", cur)
	}
	for _, d := range []int64{-1, 0, 1} {
		s := uint64(int64(cur) + d)
		step, ok := totp.Match(rfcSecret, codeOfStep(t, rfcSecret, s), now)
		if !ok || step != s {
			t.Errorf("code of step %+d: Match = %d, %v; want %d, true", d, step, ok, s)
		}
	}
	for _, d := range []int64{-3, -2, 2, 3} {
		code := codeOfStep(t, rfcSecret, uint64(int64(cur)+d))
		if step, ok := totp.Match(rfcSecret, code, now); ok {
			t.Errorf("code of step %+d matched as step %d", d, step)
		}
	}
}

func TestMatchStepBoundary(t *testing.T) {
	edge := time.Unix(1_800_000_000, 0) // a multiple of 30 s: the first instant of a step
	s := totp.Step(edge)
	if s*totp.Period != 1_800_000_000 {
		t.Fatalf("edge %d is not a step start", edge.Unix())
	}
	if got := totp.Step(edge.Add(-time.Nanosecond)); got != s-1 {
		t.Errorf("Step just before the edge = %d, want %d", got, s-1)
	}
	if got := totp.Step(edge.Add(totp.Period*time.Second - time.Nanosecond)); got != s {
		t.Errorf("Step at the end of the step = %d, want %d", got, s)
	}
	// The code of step s+1 is two steps ahead just before the edge and one
	// step ahead at the edge.
	ahead := codeOfStep(t, rfcSecret, s+1)
	if _, ok := totp.Match(rfcSecret, ahead, edge.Add(-time.Nanosecond)); ok {
		t.Error("code of step s+1 matched during step s-1")
	}
	if step, ok := totp.Match(rfcSecret, ahead, edge); !ok || step != s+1 {
		t.Errorf("code of step s+1 at the edge: %d, %v", step, ok)
	}
	// The code of step s-2 is accepted until the edge and refused from it.
	behind := codeOfStep(t, rfcSecret, s-2)
	if step, ok := totp.Match(rfcSecret, behind, edge.Add(-time.Nanosecond)); !ok || step != s-2 {
		t.Errorf("code of step s-2 just before the edge: %d, %v", step, ok)
	}
	if _, ok := totp.Match(rfcSecret, behind, edge); ok {
		t.Error("code of step s-2 matched at the edge")
	}
}

func TestMatchNearEpoch(t *testing.T) {
	now := time.Unix(10, 0) // step 0: no step -1 to look at
	if step, ok := totp.Match(rfcSecret, codeOfStep(t, rfcSecret, 0), now); !ok || step != 0 {
		t.Errorf("step 0: %d, %v", step, ok)
	}
	if step, ok := totp.Match(rfcSecret, codeOfStep(t, rfcSecret, 1), now); !ok || step != 1 {
		t.Errorf("step 1: %d, %v", step, ok)
	}
	if totp.Step(time.Unix(-100, 0)) != 0 {
		t.Error("a time before 1970 is not step 0")
	}
}

func TestMatchMalformed(t *testing.T) {
	now := time.Unix(1_700_000_017, 0)
	good, err := totp.Code(rfcSecret, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := totp.Match(rfcSecret, good, now); !ok {
		t.Fatal("the current code does not match")
	}
	for _, code := range []string{
		"", good[:5], good + "0", " " + good, good + " ", "12345a", "abcdef",
		"-12345", "+12345", "١٢٣٤٥٦", good[:3] + " " + good[3:],
	} {
		if _, ok := totp.Match(rfcSecret, code, now); ok {
			t.Errorf("Match(%q) = true", code)
		}
	}
	if _, ok := totp.Match("not base32!", good, now); ok {
		t.Error("Match with a malformed secret = true")
	}
	if _, err := totp.Code("not base32!", now); err == nil {
		t.Error("Code with a malformed secret: no error")
	}
	// Lower case and missing padding are tolerated, as authenticator apps do.
	if _, ok := totp.Match(strings.ToLower(rfcSecret), good, now); !ok {
		t.Error("lower-case secret does not match")
	}
}

var secretShape = regexp.MustCompile(`^[A-Z2-7]{32}$`)

func TestNewSecret(t *testing.T) {
	seq := make([]byte, totp.SecretSize)
	for i := range seq {
		seq[i] = byte(i)
	}
	got, err := totp.NewSecret(bytes.NewReader(seq))
	if err != nil {
		t.Fatal(err)
	}
	if want := "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT"; got != want {
		t.Errorf("NewSecret(0..19) = %s, want %s", got, want)
	}
	a, err := totp.NewSecret(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := totp.NewSecret(nil)
	for _, s := range []string{got, a} {
		if !secretShape.MatchString(s) || !totp.ValidSecret(s) {
			t.Errorf("secret %q is not 32 base32 characters", s)
		}
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
		if err != nil || len(raw) != 20 {
			t.Errorf("secret %q decodes to %d bytes (%v)", s, len(raw), err)
		}
	}
	if a == b {
		t.Error("two random secrets are equal")
	}
	if _, err := totp.NewSecret(bytes.NewReader(seq[:19])); err == nil {
		t.Error("short randomness: no error")
	}
	boom := errors.New("boom")
	if _, err := totp.NewSecret(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("failing reader: %v", err)
	}
}

func TestValidSecret(t *testing.T) {
	for s, want := range map[string]bool{
		"JBSWY3DPEHPK3PXP":                  true,  // 16
		"AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT":  true,  // 32
		"JBSWY3DPEHPK3PX":                   false, // 15
		"AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQTA": false, // 33
		"jbswy3dpehpk3pxp":                  false, // lower case
		"JBSWY3DPEHPK3PX1":                  false, // 1 is not base32
		"JBSWY3DPEHPK3PXPAA======":          true,
		"JBSWY3DPEHPK3PXPA=======":          false,
	} {
		if got := totp.ValidSecret(s); got != want {
			t.Errorf("ValidSecret(%q) = %v, want %v", s, got, want)
		}
	}
}
