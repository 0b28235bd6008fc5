package mfaapi_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/authtrail/authtrail/domain/mfaapi"
)

func TestParseSeconds(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want int64
		ok   bool
	}{
		{``, 120, true}, {`null`, 120, true}, {`120`, 120, true}, {`"300"`, 300, true}, {`900`, 900, true},
		{`119`, 119, false}, {`"901"`, 901, false}, {`"abc"`, 0, false}, {`1.5`, 0, false}, {`true`, 0, false},
	} {
		got, ok := mfaapi.ParseSeconds(json.RawMessage(c.raw), 120, 120, 900)
		if ok != c.ok || ok && got != c.want {
			t.Errorf("ParseSeconds(%s) = %d %v, want %d %v", c.raw, got, ok, c.want, c.ok)
		}
	}
}

func TestParseOTPPadsNumbers(t *testing.T) {
	for _, c := range []struct {
		raw, want string
		ok        bool
	}{
		{`12345`, "012345", true}, {`"012345"`, "012345", true}, {`"12345"`, "12345", true}, {`123456`, "123456", true},
		{`-1`, "", false}, {`null`, "", false}, {``, "", false}, {`""`, "", false}, {`{}`, "", false},
	} {
		otp, ok := mfaapi.ParseOTP(json.RawMessage(c.raw))
		if ok != c.ok || ok && otp.Padded(6) != c.want {
			t.Errorf("ParseOTP(%s) = %+v %v, want %q %v", c.raw, otp, ok, c.want, c.ok)
		}
	}
}

func TestParseDeviceID(t *testing.T) {
	for _, c := range []struct {
		raw, want string
		ok        bool
	}{{`3920481`, "3920481", true}, {`"3920481"`, "3920481", true}, {`-4`, "", false}, {`null`, "", false}, {`[]`, "", false}} {
		got, ok := mfaapi.ParseDeviceID(json.RawMessage(c.raw))
		if ok != c.ok || got != c.want {
			t.Errorf("ParseDeviceID(%s) = %q %v", c.raw, got, ok)
		}
	}
}

func TestRandomValues(t *testing.T) {
	id, err := mfaapi.NewUUID(bytes.NewReader(bytes.Repeat([]byte{0xff}, 16)))
	if err != nil || id != "ffffffff-ffff-4fff-bfff-ffffffffffff" || !mfaapi.IsUUID(id) {
		t.Fatalf("NewUUID = %q %v", id, err)
	}
	tok, err := mfaapi.NewTempToken(bytes.NewReader(make([]byte, 8)))
	if err != nil || tok != "00000000" {
		t.Fatalf("NewTempToken = %q %v", tok, err)
	}
	if _, err := mfaapi.NewTempToken(bytes.NewReader(nil)); err == nil {
		t.Fatal("NewTempToken without randomness succeeded")
	}
	for _, s := range []string{"", "FFFFFFFF-ffff-4fff-bfff-ffffffffffff", "ffffffff.ffff-4fff-bfff-ffffffffffff"} {
		if mfaapi.IsUUID(s) {
			t.Errorf("IsUUID(%q)", s)
		}
	}
}
