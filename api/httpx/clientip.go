package httpx

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// maxUserAgent bounds the user agent recorded on events; longer ones are
// cut, so a client cannot inflate the log.
const maxUserAgent = 512

// ClientIP is the address of the client that sent r: the connection's
// peer, or, when the peer is one of trusted (the reverse proxies whose
// word we take), the last address in X-Forwarded-For that is not itself a
// trusted proxy. Walking from the right means a client cannot choose its
// address by sending the header itself.
func ClientIP(r *http.Request, trusted []netip.Prefix) string {
	peer := peerAddr(r.RemoteAddr)
	if !peer.IsValid() {
		return ""
	}
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing before it
		}
		hop = hop.Unmap()
		if !isTrusted(hop, trusted) {
			return hop.String()
		}
		peer = hop
	}
	return peer.String()
}

// UserAgent is r's User-Agent, cut to a bounded length.
func UserAgent(r *http.Request) string {
	ua := r.UserAgent()
	if len(ua) > maxUserAgent {
		ua = strings.ToValidUTF8(ua[:maxUserAgent], "")
	}
	return ua
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return addr.Unmap()
}

func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
