package totp_test

import (
	"bytes"
	"encoding/base64"
	"image/color"
	"image/png"
	"net/url"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"
	"github.com/pquerna/otp"

	"github.com/authtrail/authtrail/domain/totp"
)

const secret = "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT"

func TestURI(t *testing.T) {
	for _, tc := range []struct{ issuer, account string }{
		{"auth.example.com", "jane@example.com"},
		{"auth.example.com", "Jane Doe"},
		{"localhost", "a+b@example.com"},
		{"auth.example.com", "Unnamed User"},
	} {
		uri := totp.URI(tc.issuer, tc.account, secret)
		if !strings.HasPrefix(uri, "otpauth://totp/") {
			t.Errorf("URI = %s", uri)
		}
		if strings.Contains(uri, "+") && !strings.Contains(tc.account, "+") {
			t.Errorf("URI %s encodes a space as +", uri)
		}
		key, err := otp.NewKeyFromURL(uri)
		if err != nil {
			t.Fatal(err)
		}
		if key.Type() != "totp" || key.Issuer() != tc.issuer || key.AccountName() != tc.account ||
			key.Secret() != secret || key.Period() != 30 || key.Digits() != otp.DigitsSix ||
			key.Algorithm() != otp.AlgorithmSHA1 {
			t.Errorf("URI %s parses as %s/%s/%s/%d/%d/%s", uri, key.Issuer(), key.AccountName(),
				key.Secret(), key.Period(), key.Digits(), key.Algorithm())
		}
	}
	want := "otpauth://totp/auth.example.com:Jane%20Doe?algorithm=SHA1&digits=6&issuer=auth.example.com&period=30&secret=" + secret
	if got := totp.URI("auth.example.com", "Jane Doe", secret); got != want {
		t.Errorf("URI = %s\nwant  %s", got, want)
	}
}

func TestURIFallback(t *testing.T) {
	// No issuer: pquerna/otp refuses, net/url builds a label without one.
	uri := totp.URI("", "Jane Doe", secret)
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Jane Doe" || q.Has("issuer") ||
		q.Get("secret") != secret || q.Get("period") != "30" || q.Get("digits") != "6" ||
		q.Get("algorithm") != "SHA1" || strings.Contains(uri, "+") {
		t.Errorf("URI without issuer = %s", uri)
	}
	// A secret that is not base32 is passed through unchanged.
	uri = totp.URI("auth.example.com", "Jane Doe", "not base32+")
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	if key.Secret() != "not base32+" || key.Issuer() != "auth.example.com" || key.AccountName() != "Jane Doe" {
		t.Errorf("URI with a malformed secret = %s", uri)
	}
}

func TestQRCodeDataURL(t *testing.T) {
	uri := totp.URI("auth.example.com", "jane@example.com", secret)
	dataURL, err := totp.QRCodeDataURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(dataURL, prefix) {
		t.Fatalf("data URL starts %.40s", dataURL)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(dataURL, prefix))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	// The picture is the QR matrix of uri at 4 px a module in a 4-module quiet zone.
	want, err := qr.Encode(uri, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	n := want.Bounds().Dx()
	if side := (n + 8) * 4; img.Bounds().Dx() != side || img.Bounds().Dy() != side {
		t.Fatalf("image is %v, want %d px square", img.Bounds(), side)
	}
	dark := func(x, y int) bool { return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 0x80 }
	for y := 0; y < n+8; y++ {
		for x := 0; x < n+8; x++ {
			wantDark := false
			if x >= 4 && y >= 4 && x < n+4 && y < n+4 {
				wantDark = color.GrayModel.Convert(want.At(x-4, y-4)).(color.Gray).Y < 0x80
			}
			for _, p := range [][2]int{{0, 0}, {3, 3}, {1, 2}} {
				if got := dark(x*4+p[0], y*4+p[1]); got != wantDark {
					t.Fatalf("module (%d,%d) pixel %v dark = %v, want %v", x, y, p, got, wantDark)
				}
			}
		}
	}
	if !dark(16, 16) || dark(0, 0) {
		t.Error("finder pattern or quiet zone missing")
	}
}
