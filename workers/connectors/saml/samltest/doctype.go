package samltest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
)

// Decode is the Response XML of a SAMLResponse form value.
func Decode(samlResponse string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(samlResponse)
}

// Encode is the SAMLResponse form value of a Response XML.
func Encode(doc []byte) string { return base64.StdEncoding.EncodeToString(doc) }

// billionLaughs declares lol9, which expands to 10^9 "lol"s.
const billionLaughs = `<!DOCTYPE samlp:Response [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
`

// BillionLaughs is samlResponse with a billion-laughs DTD in front of its
// root element and the entity referenced in it: what a parser expanding
// entities would choke on, and an SP must refuse unparsed.
func BillionLaughs(samlResponse string) (string, error) {
	return WithDoctype(samlResponse, billionLaughs, "&lol9;")
}

// WithDoctype is samlResponse with prolog (a DOCTYPE, comments, processing
// instructions...) inserted before its root element (after any XML
// declaration) and ref (such as an entity reference, or "") at the start
// of the root element's content. The signatures are left as they were.
func WithDoctype(samlResponse, prolog, ref string) (string, error) {
	doc, err := Decode(samlResponse)
	if err != nil {
		return "", fmt.Errorf("samltest: %w", err)
	}
	var out bytes.Buffer
	if bytes.HasPrefix(doc, []byte("<?xml")) {
		end := bytes.Index(doc, []byte("?>"))
		if end < 0 {
			return "", fmt.Errorf("samltest: unterminated XML declaration")
		}
		out.Write(doc[:end+2])
		out.WriteString("\n")
		doc = doc[end+2:]
	}
	out.WriteString(prolog)
	root := bytes.IndexByte(doc, '>')
	if root < 0 || !strings.HasPrefix(strings.TrimSpace(string(doc)), "<") {
		return "", fmt.Errorf("samltest: no root element")
	}
	out.Write(doc[:root+1])
	out.WriteString(ref)
	out.Write(doc[root+1:])
	return Encode(out.Bytes()), nil
}
