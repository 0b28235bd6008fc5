package totp

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/boombuler/barcode/qr"
)

const (
	// qrScale is the size of one QR module in pixels and qrMargin the quiet
	// zone in modules: the defaults of the qrcode package Logto renders with.
	qrScale  = 4
	qrMargin = 4
)

// QRCodeDataURL renders uri as a QR code (error correction level M, as
// Logto's) in a PNG data URL, "data:image/png;base64,...". It uses the QR
// encoder pquerna/otp's Key.Image is built on, adding the quiet zone that
// Key.Image leaves out.
func QRCodeDataURL(uri string) (string, error) {
	code, err := qr.Encode(uri, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("totp: encode QR code: %w", err)
	}
	b := code.Bounds()
	modules := b.Dx()
	side := (modules + 2*qrMargin) * qrScale
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := 0; y < modules; y++ {
		for x := 0; x < modules; x++ {
			if color.GrayModel.Convert(code.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y >= 0x80 {
				continue
			}
			px, py := (x+qrMargin)*qrScale, (y+qrMargin)*qrScale
			for dy := 0; dy < qrScale; dy++ {
				row := img.Pix[(py+dy)*img.Stride:]
				for dx := 0; dx < qrScale; dx++ {
					row[px+dx] = 0
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("totp: encode PNG: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
