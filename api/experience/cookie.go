package experience

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/http"
	"strings"

	"github.com/authtrail/authtrail/domain"
)

// CookieName is the interaction cookie (docs/experience.md, decision 4).
const CookieName = "_interaction"

// sign returns the cookie value for id: id.HMAC-SHA256(name=id). Every
// request signs or checks a cookie, so keyed MACs are reused rather than
// rebuilt from the key each time.
func (h *Handler) sign(id string) string {
	mac, _ := h.cookieMACs.Get().(hash.Hash)
	if mac == nil {
		mac = hmac.New(sha256.New, h.cfg.CookieKey)
	}
	defer h.cookieMACs.Put(mac)
	mac.Reset()
	var sum [sha256.Size]byte
	mac.Write([]byte(CookieName + "=" + id))
	return id + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(sum[:0]))
}

// interactionID returns the id in a validly signed cookie, or "".
func (h *Handler) interactionID(r *http.Request) string {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return ""
	}
	id, _, ok := strings.Cut(c.Value, ".")
	if !ok || !domain.IsID(id) {
		return ""
	}
	if !hmac.Equal([]byte(h.sign(id)), []byte(c.Value)) {
		return ""
	}
	return id
}

// cookie is the interaction cookie for id.
func (h *Handler) cookie(id string) *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: h.sign(id), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: h.cfg.SecureCookie, MaxAge: int(h.cfg.TTL.Seconds()),
	}
}

// InteractionIDOf is the interaction the request's cookie names, or "":
// what a method hands to a provider to find the interaction again without
// the cookie (a SAML RelayState).
func (h *Handler) InteractionIDOf(r *http.Request) string { return h.interactionID(r) }
